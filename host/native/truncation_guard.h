// Guards live mappings against SIGBUS from their file (see truncation_guard.c).
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmf_abi.h"

// Why a mapping faulted: what guard_fault_cause answers, as the ABI's codes (fault_cause).
enum fault_cause {
  FAULT_NONE = 0,
  FAULT_TRUNCATED = MMF_ETRUNCATED,  // the page lies past the end of the file: it was truncated under the mapping
  FAULT_NOSPACE = MMF_ENOSPC,        // inside the file, on a file system with no free blocks (ENOSPC)
  FAULT_IO = MMF_EIO,                // inside the file with room left: the device failed (EIO)
};

// Installs the SIGBUS handler, or puts it back on top when something replaced it since (a
// process.on("SIGBUS") listener: libuv installs its own handler, and SIG_DFL when the last
// listener goes). What it displaces is what a SIGBUS that is not ours goes to. 0 or -errno.
int guard_install(void);
// guard_install at one call in 64 (and the first): for the hot path of a map, where the check costs
// a system call each time. A handler changed in between is put back on top at the latest 64 maps
// later; whoever knows of a change (the Node helper hears process.on("SIGBUS")) calls guard_install.
int guard_install_lazily(void);
// Watches [start, start+len), which is about to map `fd` from `file_offset`, on behalf of `owner`
// (the N-API environment). Call before the mmap: from then on a fault there is absorbed, and the
// file's size tells truncation from other causes; a fault bumps `epoch` (inside the Wasm memory,
// may be NULL). One descriptor per file (not per mapping) is kept for that. 0, -EDQUOT when the
// process's mapping budget is used up, or -errno (-EMFILE, -ENFILE: no descriptor for the file).
int guard_add(uintptr_t start, size_t len, int fd, uint64_t file_offset, int32_t* epoch, const void* owner);
// guard_add with the caller's fstat of `fd` (one system call fewer for a caller that has one).
struct stat;
int guard_add_stat(uintptr_t start, size_t len, int fd, const struct stat* st, uint64_t file_offset, int32_t* epoch, const void* owner);
// Puts zeroed anonymous memory back over the mapping that starts at `start`, then stops watching
// it; returns once no fault handler can still act on it. 0, -EINVAL if unknown, or the -errno of
// the restoring mmap (the mapping then stays watched).
int guard_remove(uintptr_t start);
// guard_remove whose zeroed memory lacks MADV_DONTFORK (one system call fewer): it stays an area of
// its own, apart from the Wasm memory's, until the caller merges it (guard_merge) or maps over it.
int guard_remove_unmerged(uintptr_t start);
// MADV_DONTFORK over [from, to): zeroed memory from guard_remove_unmerged merges back into its
// Wasm memory's area. Only for a range of a live Wasm memory (never one that may be someone else's).
// 0 or -errno (the memory is zeroed either way; only the merge failed).
int guard_merge(uintptr_t from, uintptr_t to);
// The mapping watched at [start, start+len) becomes [new_start, new_start+new_len) of the same
// file from the same offset (mremap): resized where it is when new_start == start (pages shrunk off
// become zeroed memory; the pages grown into, which the caller owns, are replaced), else moved there
// (the new range must not overlap the old; the old one becomes zeroed memory). Its contents move
// with it, a private mapping's changes included. -EINVAL: not exactly a watched mapping, one that
// faulted, or overlapping ranges; -ERANGE: the new range reaches a whole page past the end of the
// file; else 0 or -errno, with the mapping as it was.
int guard_remap(uintptr_t start, size_t len, uintptr_t new_start, size_t new_len);
// Stops watching every mapping of `owner` without touching memory (its environment is ending).
void guard_drop_owner(const void* owner);
// The fault_cause of the mapping that starts at `start`, or -EINVAL if unknown.
int guard_fault_cause(uintptr_t start);
// Puts fresh zeroed read-write pages over [from, to): the state of unused Wasm memory, with its
// flags, so that the range merges back into the memory's area. Async-signal-safe.
bool guard_zero_fill(uintptr_t from, uintptr_t to);
// Live mappings the process may hold at once (default: a quarter of vm.max_map_count).
void guard_set_limit(size_t limit);
// How many descriptors of files no mapping uses are kept for the next map of the same file (at
// most 64; default 0: closed with the file's last mapping). Each is closed after 2 s unused (at the
// next guard_add or guard_trim_idle_files), when a descriptor is short, and at guard_drop_owner.
void guard_set_idle_files(size_t count);
// Closes the idle descriptor of the file open as `fd`, if there is one, or has it closed with the
// file's last mapping (instead of kept idle): call it before closing a descriptor of the file, so
// that ours does not keep the file (or its file system: an unmount) busy for 2 s.
void guard_forget_file(int fd);
// Closes the idle descriptors unused for 2 s (all of them with `all`); the number still idle.
size_t guard_trim_idle_files(bool all);

struct guard_stats {
  size_t live;           // mappings watched now
  size_t limit;          // the process's mapping budget
  size_t max_map_count;  // vm.max_map_count as read at start (0 if unreadable)
  size_t files;          // descriptors the guard holds (one per mapped file, and the idle ones)
  size_t idle_files;     // of which kept for files no mapping uses now (guard_set_idle_files)
  uint64_t faults;       // faults absorbed
  uint64_t retried;      // SIGBUS deliveries sent back to retry the access (see on_sigbus)
  uint64_t reinstalled;  // times the handler was put back after something replaced it
};
void guard_get_stats(struct guard_stats* out);
