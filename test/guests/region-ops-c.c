// A C guest for the region operations of ABI version 3 through include/mmf.h's helpers:
// mmf_region_lock, mmf_region_residency and mmf_region_remap (in place in its own window, or moved
// to another); test/region-ops.test.mjs drives it.
#include <stdint.h>

#include "mmf.h"

#define EXPORT(name) __attribute__((export_name(name)))

static mmf_region region;
static uint8_t page_map[4096];

// `bytes` of address space from mmf_reserve: its address.
EXPORT("reserve") uint32_t reserve(uint32_t bytes) { return (uint32_t)(uintptr_t)mmf_reserve(bytes); }

EXPORT("region_map") int32_t region_map(int32_t handle, uint64_t offset, uint32_t size, int32_t flags, uint32_t window, uint32_t window_len) {
  return mmf_region_map(&region, handle, offset, size, flags, (void*)(uintptr_t)window, window_len);
}
EXPORT("region_lock") int32_t region_lock(int32_t lock) { return mmf_region_lock(&region, lock); }
// Resident pages; with `with_map`, the count of ones in the page map instead (they must agree).
EXPORT("region_residency") int32_t region_residency(int32_t with_map) {
  if (!with_map) return mmf_region_residency(&region, 0);
  if (region.map_len / (size_t)mmf_page_size() > sizeof page_map) return -MMF_ERANGE;
  int32_t n = mmf_region_residency(&region, page_map);
  if (n < 0) return n;
  int32_t ones = 0;
  for (size_t i = 0; i < region.map_len / (size_t)mmf_page_size(); i++) ones += page_map[i];
  return ones;
}
EXPORT("region_remap") int32_t region_remap(uint32_t size, uint32_t window, uint32_t window_len) {
  return mmf_region_remap(&region, size, (void*)(uintptr_t)window, window_len);
}
EXPORT("region_data") uint32_t region_data(void) { return (uint32_t)(uintptr_t)region.data; }
EXPORT("region_size") uint32_t region_size(void) { return region.size; }
EXPORT("region_map_addr") uint32_t region_map_addr(void) { return (uint32_t)(uintptr_t)region.map_addr; }
EXPORT("load8") uint32_t load8(uint32_t at) { return *(volatile uint8_t*)(uintptr_t)at; }
EXPORT("region_unmap") int32_t region_unmap(void) { return mmf_region_unmap(&region); }
