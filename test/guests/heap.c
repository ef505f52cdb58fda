// A C guest for "Memory ownership" in docs/abi.md: where a guest may map next to wasi-libc's
// malloc, which on its first call takes every page from __heap_base to the memory's current size.
// grow_pages is the mistake (pages grown before the allocator started), reserve the helper of
// include/mmf.h that avoids it; test/c-guests.test.mjs and test/wasmtime/test_c_guests.py compare.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmf.h"

#define EXPORT(name) __attribute__((export_name(name)))

// `pages` Wasm pages straight from memory.grow: their address.
EXPORT("grow_pages") uint32_t grow_pages(uint32_t pages) {
  size_t old = __builtin_wasm_memory_grow(0, pages);
  return old == (size_t)-1 ? 0 : (uint32_t)(old * 65536);
}

// `bytes` of address space from mmf_reserve: its address.
EXPORT("reserve") uint32_t reserve(uint32_t bytes) { return (uint32_t)(uintptr_t)mmf_reserve(bytes); }

EXPORT("map_shared") int32_t map_shared(int32_t handle, uint32_t addr, uint32_t len) {
  return mmf_map(handle, 0, (void*)(uintptr_t)addr, len, MMF_MAP_SHARED);
}

EXPORT("unmap") int32_t unmap(uint32_t addr, uint32_t len) { return mmf_unmap((void*)(uintptr_t)addr, len); }

// malloc(bytes), filled with `value` as any program fills what malloc gave it: its address (kept).
EXPORT("malloc_fill") uint32_t malloc_fill(uint32_t bytes, uint32_t value) {
  void* p = malloc(bytes);
  if (p != NULL) memset(p, (int)value, bytes);
  return (uint32_t)(uintptr_t)p;
}

// The page size, mmf_window_bytes and mmf_region_map's page math, for the helpers' tests.
EXPORT("window_bytes") uint32_t window_bytes(uint64_t offset, uint32_t size) { return mmf_window_bytes(offset, size); }

static mmf_region region;

// Maps [offset, offset + size) of `handle` into `window`; 0 or a negated code. region_* read it.
EXPORT("region_map") int32_t region_map(int32_t handle, uint64_t offset, uint32_t size, int32_t flags, uint32_t window, uint32_t window_len) {
  return mmf_region_map(&region, handle, offset, size, flags, (void*)(uintptr_t)window, window_len);
}
EXPORT("region_data") uint32_t region_data(void) { return (uint32_t)(uintptr_t)region.data; }
EXPORT("region_map_addr") uint32_t region_map_addr(void) { return (uint32_t)(uintptr_t)region.map_addr; }
EXPORT("region_map_len") uint32_t region_map_len(void) { return region.map_len; }
EXPORT("region_sync") int32_t region_sync(int32_t async) { return mmf_region_sync(&region, async); }
EXPORT("region_fault_cause") int32_t region_fault_cause(void) { return mmf_region_fault_cause(&region); }
EXPORT("region_unmap") int32_t region_unmap(void) { return mmf_region_unmap(&region); }
