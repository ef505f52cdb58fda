// The mapping calls of the Wasmtime host (host/wasmtime/mmf_wasmtime/), built with the Node
// helper's truncation guard (host/native/truncation_guard.c) into one shared library,
// build/wasmtime/libmmf_wasmtime.so (scripts/build-wasmtime.mjs). Wasmtime installs no SIGBUS
// handler: this library's guard is what lets a process survive a file truncated under a mapping.
// A mapping is registered with the guard as soon as it exists and leaves the guard before it goes,
// which is why these calls live in C next to the guard and not in Python.
// The Python host has checked every argument against the guest's memory before it calls in.
// Every function returns 0 (or a value >= 0) or -errno.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "truncation_guard.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define EXPORT __attribute__((visibility("default")))

// Bits of the `flags` argument of the ABI's `map` (docs/abi.md).
enum { FLAG_SHARED = 1, FLAG_POPULATE = 2, FLAG_READ_ONLY = 4 };

// Puts fresh zeroed read-write pages back over [at, at+len): the state of unused Wasm memory.
static int restore_anonymous(uintptr_t at, size_t len) {
  void* r = mmap((void*)at, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return r == MAP_FAILED ? -errno : 0;
}

EXPORT long mmfw_page_size(void) { return sysconf(_SC_PAGESIZE); }

// Maps [offset, offset+len) of fd over [at, at+len). READ_ONLY maps PROT_READ: Wasmtime only
// mprotects the new pages when a memory grows, so the protection holds and a stray store traps.
// A fault past the end of a truncated file bumps *epoch (NULL: nothing to bump).
EXPORT int mmfw_map(uintptr_t at, size_t len, int fd, int64_t offset, int flags, int32_t* epoch) {
  int rc = guard_install();
  if (rc != 0) return rc;
  int prot = (flags & FLAG_READ_ONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
  void* r = mmap((void*)at, len, prot, MAP_FIXED | ((flags & FLAG_SHARED) ? MAP_SHARED : MAP_PRIVATE), fd, (off_t)offset);
  if (r == MAP_FAILED) {
    int err = errno;
    // A failed MAP_FIXED may already have dropped the old pages: never leave a hole in the memory.
    restore_anonymous(at, len);
    return -err;
  }
  rc = guard_add(at, len, epoch);
  if (rc != 0) {
    restore_anonymous(at, len);
    return rc;
  }
  // Advisory: before Linux 5.14 there is no MADV_POPULATE_READ, and pages fault in on touch.
  if (flags & FLAG_POPULATE) madvise((void*)at, len, MADV_POPULATE_READ);
  return 0;
}

// Drops the mapping at [at, at+len) and puts zeroed read-write memory back.
EXPORT int mmfw_unmap(uintptr_t at, size_t len) {
  guard_remove(at);
  return restore_anonymous(at, len);
}

// Forgets the mapping at `at` without touching memory: its memory is gone (it moved or was freed).
EXPORT void mmfw_forget(uintptr_t at) { guard_remove(at); }

// 1 if the mapping that starts at `at` faulted past the end of its file, 0 if not, -EINVAL if unknown.
EXPORT int mmfw_truncated(uintptr_t at) { return guard_truncated(at); }

EXPORT int mmfw_sync(uintptr_t at, size_t len, int async) {
  return msync((void*)at, len, async ? MS_ASYNC : MS_SYNC) == 0 ? 0 : -errno;
}

// madvise with the ABI's advice numbers; none of them changes the contents.
EXPORT int mmfw_advise(uintptr_t at, size_t len, int advice) {
  static const int kinds[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_HUGEPAGE};
  if (advice < 0 || advice >= (int)(sizeof kinds / sizeof kinds[0])) return -EINVAL;
  return madvise((void*)at, len, kinds[advice]) == 0 ? 0 : -errno;
}
