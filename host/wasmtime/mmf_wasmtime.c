// The mapping calls of the Wasmtime host (host/wasmtime/mmf_wasmtime/), built with the Node
// helper's SIGBUS guard (host/native/truncation_guard.c) into one shared library,
// dist/wasmtime/libmmf_wasmtime.so (scripts/build-wasmtime.mjs). Wasmtime installs no SIGBUS
// handler: this library's guard is what lets a process survive a file truncated under a mapping,
// or a page that finds no room on a full file system. A mapping is registered with the guard
// before it exists and leaves the guard (which puts zeroed memory back) before it goes, which is
// why these calls live in C next to the guard and not in Python.
// The Python host has checked every argument against the guest's memory before it calls in.
// Every function returns 0 (or a value >= 0) or -errno.
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmf_abi.h"
#include "truncation_guard.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define EXPORT __attribute__((visibility("default")))

// Puts zeroed read-write memory back over [at, at+len) (unless the guard just did) with the flags
// of a Wasmtime memory's pages. The guard's zero fill gives them the flags of V8's (MADV_DONTFORK too); Wasmtime's pages
// are inherited by a fork, and only pages with the same flags merge back into the memory's area:
// without this, every map and unmap at a new address would leave an area of the process behind.
static int restore_memory(uintptr_t at, size_t len, bool zero_filled) {
  if (!zero_filled && !guard_zero_fill(at, at + len)) return -errno;
  // Not merged (a kernel refusing the advice): the memory is zeroed all the same.
  (void)madvise((void*)at, len, MADV_DOFORK);
  return 0;
}

EXPORT long mmfw_page_size(void) {
  return sysconf(_SC_PAGESIZE);
}

// Maps [offset, offset+len) of fd over [at, at+len), on behalf of `owner` (the host's tag, see
// mmfw_forget_owner). READ_ONLY maps PROT_READ: Wasmtime only mprotects the new pages when a
// memory grows, so the protection holds and a stray store traps. A fault (truncation, no space,
// I/O error) bumps *epoch (NULL: nothing to bump). -EDQUOT: the process's mapping budget is used up.
EXPORT int mmfw_map(uintptr_t at, size_t len, int fd, int64_t offset, int flags, int32_t* epoch, uintptr_t owner) {
  int rc = guard_install();  // also puts the handler back on top if something replaced it
  if (rc != 0) return rc;
  // Watched before it exists: a fault on another thread the moment it is mapped is absorbed too.
  rc = guard_add(at, len, fd, (uint64_t)offset, epoch, (const void*)owner);
  if (rc != 0) return rc;
  int prot = (flags & MMF_MAP_READ_ONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
  void* r = mmap((void*)at, len, prot, MAP_FIXED | ((flags & MMF_MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE), fd, (off_t)offset);
  if (r == MAP_FAILED) {
    int err = errno;
    // A failed MAP_FIXED may already have dropped the old pages: never leave a hole in the memory.
    // When zeroed memory cannot be put back either, that failure is the answer: the range is not
    // what it was, which matters more than why the map failed.
    rc = restore_memory(at, len, guard_remove(at) == 0);
    return rc != 0 ? rc : -err;
  }
  // Advisory: before Linux 5.14 there is no MADV_POPULATE_READ, and pages fault in on touch.
  if (flags & MMF_MAP_POPULATE) (void)madvise((void*)at, len, MADV_POPULATE_READ);
  return 0;
}

// Drops the mapping at [at, at+len) and puts zeroed read-write memory back. The guard restores
// memory before it lets go of the slot (a fault on another thread meanwhile is still absorbed);
// a range it no longer knows (dropped as stale) is restored here.
EXPORT int mmfw_unmap(uintptr_t at, size_t len) {
  int rc = guard_remove(at);
  if (rc != 0 && rc != -EINVAL) return rc;  // the zero fill failed: the mapping stays, and stays watched
  return restore_memory(at, len, rc == 0);
}

// Forgets every mapping of `owner` without touching memory: its memory is gone (it moved, or the
// store was dropped), and the range may belong to someone else by now.
EXPORT void mmfw_forget_owner(uintptr_t owner) {
  guard_drop_owner((const void*)owner);
}

// Whether and why the mapping that starts at `at` faulted: 0 not, else the ABI code of why
// (MMF_ETRUNCATED, MMF_ENOSPC, MMF_EIO: enum fault_cause); -EINVAL if unknown.
EXPORT int mmfw_fault_cause(uintptr_t at) {
  return guard_fault_cause(at);
}

EXPORT int mmfw_sync(uintptr_t at, size_t len, int async) {
  return msync((void*)at, len, async ? MS_ASYNC : MS_SYNC) == 0 ? 0 : -errno;
}

// madvise with the ABI's advice numbers; none of them changes the contents.
EXPORT int mmfw_advise(uintptr_t at, size_t len, int advice) {
  static const int kinds[MMF_ADVICE_COUNT] = MMF_ADVICE_TO_MADVISE;
  if (advice < 0 || advice >= MMF_ADVICE_COUNT) return -EINVAL;
  return madvise((void*)at, len, kinds[advice]) == 0 ? 0 : -errno;
}

// ABI version 3. mlock (lock != 0) or munlock of [at, at+len); 0 or -errno.
EXPORT int mmfw_lock(uintptr_t at, size_t len, int lock) {
  return (lock ? mlock((void*)at, len) : munlock((void*)at, len)) == 0 ? 0 : -errno;
}

// Resident pages of [at, at+len) (mincore), or -errno; one byte per page (1 resident) to vec
// unless it is NULL. The kernel writes into a buffer of ours: a store into the guest's memory that
// faults is then the guard's to absorb, not an EFAULT halfway through.
EXPORT long mmfw_residency(uintptr_t at, size_t len, unsigned char* vec) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char chunk[4096];
  long resident = 0;
  for (size_t done = 0; done < len / ps;) {
    size_t n = len / ps - done < sizeof chunk ? len / ps - done : sizeof chunk;
    if (mincore((void*)(at + done * ps), n * ps, chunk) != 0) return -errno;
    for (size_t k = 0; k < n; k++) {
      resident += chunk[k] & 1;
      if (vec) vec[done + k] = chunk[k] & 1;
    }
    done += n;
  }
  return resident;
}

// The mapping at [at, at+len) becomes [new_at, new_at+new_len) (guard_remap: in place or moved).
// The zeroed memory the guard puts back (the old range, a shrunk tail) gets a Wasmtime page's flags.
EXPORT int mmfw_remap(uintptr_t at, size_t len, uintptr_t new_at, size_t new_len) {
  int rc = guard_remap(at, len, new_at, new_len);
  if (rc != 0) return rc;
  if (new_at != at) restore_memory(at, len, true);
  else if (new_len < len) restore_memory(at + new_len, len - new_len, true);
  return 0;
}

// The most live mappings the whole process may hold (MMF_PROCESS_MAPPINGS); 1 to 2^20, else -EINVAL.
EXPORT int mmfw_set_mapping_limit(long limit) {
  if (limit < 1 || limit > (1L << 20)) return -EINVAL;
  guard_set_limit((size_t)limit);
  return 0;
}

// The guard's figures for the process, as seven numbers in the order of struct guard_stats.
EXPORT void mmfw_guard_stats(uint64_t out[7]) {
  struct guard_stats st;
  guard_get_stats(&st);
  out[0] = st.live;
  out[1] = st.limit;
  out[2] = st.max_map_count;
  out[3] = st.files;
  out[4] = st.faults;
  out[5] = st.retried;
  out[6] = st.reinstalled;
}
