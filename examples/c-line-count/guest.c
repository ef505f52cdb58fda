// A C guest that counts the lines ('\n' bytes) of a file of any size, zero-copy: it maps the file
// one window at a time into its own memory through the `mmf` imports (include/mmf.h) and reads
// the bytes where they are. A WASI command:
//   line-count GUEST_PATH [WINDOW_MIB] [START]
// prints the number of lines from byte START (any offset, default 0) to the end of the file.
// Built by scripts/build-c-guests.mjs with clang --target=wasm32-wasi; hosted by host.mjs (Node)
// and host.py (Wasmtime).
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "mmf.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

// The host bumps this word whenever a mapping of ours faults (its file was truncated under it,
// or its device failed): the bytes read since then may be zeros, not the file's.
static volatile int32_t epoch;

static uint64_t count_newlines(const uint8_t* p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
#ifdef __wasm_simd128__
  // 16 bytes at a time (built with -msimd128): compare, gather the 16 results into bits, count them.
  const v128_t newline = wasm_i8x16_splat('\n');
  for (; i + 16 <= n; i += 16) count += __builtin_popcount(wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), newline)));
#endif
  for (; i < n; i++) count += p[i] == '\n';
  return count;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: line-count GUEST_PATH [WINDOW_MIB] [START]\n");
    return 2;
  }
  size_t window = (argc > 2 ? strtoul(argv[2], NULL, 10) : 64) << 20;
  uint64_t start = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  int32_t handle = mmf_open_path(argv[1], MMF_OPEN_READ);
  if (handle < 0) {
    fprintf(stderr, "open %s: %s\n", argv[1], mmf_error_name(handle));
    return 1;
  }
  int64_t size = mmf_file_size(handle);
  // One reservation for every window: a window at an unaligned offset needs up to a page more.
  size_t reserved = mmf_window_bytes(mmf_page_size() - 1, window);
  void* space = reserved ? mmf_reserve(reserved) : NULL;
  if (size < 0 || space == NULL || mmf_watch(&epoch) != 0) {
    fprintf(stderr, "%s: no file size or no memory for a %zu-byte window\n", argv[1], window);
    return 1;
  }
  uint64_t lines = 0;
  int32_t seen = epoch;
  for (uint64_t at = start; at < (uint64_t)size; at += window) {
    size_t n = (uint64_t)size - at < window ? (size_t)((uint64_t)size - at) : window;
    mmf_region region;
    int32_t rc = mmf_region_map(&region, handle, at, n, MMF_MAP_READ_ONLY, space, reserved);
    if (rc == 0) {
      lines += count_newlines(region.data, region.size);
      if (epoch != seen) rc = -mmf_region_fault_cause(&region);
      mmf_region_unmap(&region);
    }
    if (rc != 0) {
      fprintf(stderr, "%s at byte %" PRIu64 ": %s\n", argv[1], at, mmf_error_name(rc));
      return 1;
    }
  }
  mmf_close(handle);
  printf("%" PRIu64 "\n", lines);
  return 0;
}
