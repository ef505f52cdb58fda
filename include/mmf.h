// wasm-mmf for C guests: the `mmf` imports (docs/abi.md) and helpers for the common case.
//
//   clang --target=wasm32-wasi -I node_modules/wasm-mmf/include guest.c -o guest.wasm
//
// The imports, codes and flags come from mmf_abi.h (generated from abi/abi.json). The helpers
// below open a file beneath a preopen, map a region at any byte offset (the page math), unmap,
// sync, lock, measure (residency) and resize (remap) it, and take the address space for mappings the only safe way next to wasi-libc's
// malloc: see "Memory ownership" in docs/abi.md.
//
//   int32_t h = mmf_open_path("/data/input.bin", MMF_OPEN_READ);   // preopens: { "/data": dir }
//   size_t need = mmf_window_bytes(12345, 1 << 20);
//   void* window = mmf_reserve(need);                               // once; reuse it after unmap
//   mmf_region r;
//   if (mmf_region_map(&r, h, 12345, 1 << 20, 0, window, need) == 0) {
//     ... r.data[0] is byte 12345 of the file ...
//     mmf_region_unmap(&r);
//   }
//   mmf_close(h);
#ifndef MMF_H
#define MMF_H

#include "mmf_abi.h"

#if defined(__wasm__)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// A window of a file mapped into this module's memory.
typedef struct mmf_region {
  uint8_t* data;      // the file's byte at the offset asked for
  size_t size;        // bytes readable (and, if mapped shared, writable to the file) from data
  uint8_t* map_addr;  // the mapping: page-aligned, holds data
  size_t map_len;     // whole host pages
} mmf_region;

// Opens a NUL-terminated guest path beneath a preopen ("/data/x.bin" with preopens { "/data": dir })
// with an MMF_OPEN_* mode. A handle (> 0), or a negated code.
static inline int32_t mmf_open_path(const char* path, int32_t mode) { return mmf_open(path, strlen(path), mode); }

// Bytes of address space a region of `size` bytes at file offset `offset` needs: the page below
// the offset up to the page past its end. 0 when it does not fit in the 4 GiB address space.
static inline size_t mmf_window_bytes(uint64_t offset, size_t size) {
  uint64_t page = (uint64_t)mmf_page_size();
  uint64_t need = ((offset % page) + size + page - 1) / page * page;
  return need > SIZE_MAX ? 0 : (size_t)need;
}

// Reserves `bytes` of address space for mappings: whole 64 KiB Wasm pages from memory.grow, which
// hold whole host pages and are this module's alone. The allocator is started first: wasi-libc's
// malloc, on its first call, takes every page from __heap_base to the memory's current size (pages
// grown for mappings before it included) and would hand them out over a live mapping. Never map into
// the initial memory or the heap. NULL when the memory cannot grow. A reservation is never given
// back; reuse it for the next region after mmf_region_unmap.
static inline void* mmf_reserve(size_t bytes) {
  static int allocator_started;
  if (!allocator_started) {
    void* volatile first = malloc(1);  // volatile: a compiler drops a malloc whose block is only freed
    free(first);
    allocator_started = 1;
  }
  size_t pages = bytes / 65536 + (bytes % 65536 != 0);
  if (pages == 0) return NULL;
  size_t old = __builtin_wasm_memory_grow(0, pages);
  return old == (size_t)-1 ? NULL : (void*)(old * 65536);
}

// Maps [offset, offset + size) of the file behind `handle` into `window` (from mmf_reserve,
// `window_len` bytes; at least mmf_window_bytes(offset, size)), with MMF_MAP_* flags: MMF_MAP_SHARED
// for writes that reach the file, MMF_MAP_READ_ONLY for a promise of no stores. 0, or a negated
// code: MMF_EINVAL for size 0 or an offset past 2^63, MMF_ERANGE for a window too small or a range
// past the end of the file, or the host's answer. `*r` is zeroed when it fails.
static inline int32_t mmf_region_map(mmf_region* r, int32_t handle, uint64_t offset, size_t size, int32_t flags, void* window, size_t window_len) {
  memset(r, 0, sizeof *r);
  uint64_t page = (uint64_t)mmf_page_size();
  if (size == 0 || offset > (uint64_t)INT64_MAX) return -MMF_EINVAL;
  size_t need = mmf_window_bytes(offset, size);
  if (need == 0 || need > window_len) return -MMF_ERANGE;
  uint64_t start = offset - offset % page;
  int32_t rc = mmf_map(handle, (int64_t)start, window, need, flags);
  if (rc < 0) return rc;
  r->map_addr = (uint8_t*)window;
  r->map_len = need;
  r->data = r->map_addr + (offset - start);
  r->size = size;
  return 0;
}

// Unmaps a region (its window holds zeroed memory again and can take the next region). 0, or a
// negated code; `*r` is zeroed either way.
static inline int32_t mmf_region_unmap(mmf_region* r) {
  int32_t rc = r->map_len ? mmf_unmap(r->map_addr, r->map_len) : 0;
  memset(r, 0, sizeof *r);
  return rc;
}

// Writes a shared region's changes to the file (msync): now, or only scheduled when `async` is
// nonzero. 0, or a negated code (MMF_ENOSPC, MMF_EIO: the changes may not be in the file).
static inline int32_t mmf_region_sync(const mmf_region* r, int32_t async) {
  return r->map_len ? mmf_sync(r->map_addr, r->map_len, async) : -MMF_EINVAL;
}

// 0 if the region's mapping never faulted, else why (MMF_ETRUNCATED, MMF_ENOSPC, MMF_EIO): from
// then on its bytes are zeros, not the file's. Ask when the epoch word (mmf_watch) moved.
static inline int32_t mmf_region_fault_cause(const mmf_region* r) {
  return r->map_len ? mmf_fault_cause(r->map_addr, r->map_len) : -MMF_EINVAL;
}

// ABI version 3. Locks the region's pages in memory (mlock; `lock` nonzero) or unlocks them. 0, or
// a negated code: MMF_ENOMEM (MMF_EACCES when the limit is 0) when RLIMIT_MEMLOCK refuses.
static inline int32_t mmf_region_lock(const mmf_region* r, int32_t lock) {
  if (!r->map_len) return -MMF_EINVAL;
  return lock ? mmf_lock(r->map_addr, r->map_len) : mmf_unlock(r->map_addr, r->map_len);
}

// ABI version 3. How many of the region's pages are in memory (mincore), or a negated code; with
// `pages` not NULL, one byte per page too (1 resident): it must hold map_len / mmf_page_size() bytes.
static inline int32_t mmf_region_residency(const mmf_region* r, uint8_t* pages) {
  return r->map_len ? mmf_residency(r->map_addr, r->map_len, pages) : -MMF_EINVAL;
}

// ABI version 3. Resizes a region to `size` bytes from the same file offset (the file grew, or to
// shrink it) in `window` (`window_len` bytes): the region's own window (map_addr) resizes it in
// place, and the pages it grows into must be this module's and hold no mapping; another window
// (from mmf_reserve) moves it there, and its old pages hold zeroed memory again. Pointers into the
// region taken before must be taken again from r->data. 0, or a negated code (MMF_ERANGE: a window
// too small, or a whole page past the end of the file); `*r` is unchanged when it fails.
static inline int32_t mmf_region_remap(mmf_region* r, size_t size, void* window, size_t window_len) {
  if (!r->map_len || size == 0) return -MMF_EINVAL;
  uint64_t page = (uint64_t)mmf_page_size();
  size_t page_offset = (size_t)(r->data - r->map_addr);
  uint64_t need = (page_offset + (uint64_t)size + page - 1) / page * page;
  if (need > window_len) return -MMF_ERANGE;
  int32_t rc = mmf_remap(r->map_addr, r->map_len, window, (size_t)need);
  if (rc < 0) return rc;
  r->map_addr = (uint8_t*)window;
  r->map_len = (size_t)need;
  r->data = r->map_addr + page_offset;
  r->size = size;
  return 0;
}
#endif

#endif
