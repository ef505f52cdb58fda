// Native helper: the system calls behind the `mmf` Wasm imports.
// Every function re-checks its arguments against the Wasm memory it is given, because the
// values come from Wasm code the host does not trust. Failures are answered as napi_check.h
// says: a failed N-API call throws N-API's message; an argument of the wrong type or out of range
// is the ABI's code of the refusal, negated (-EINVAL, -ERANGE, -EBADF); a failed system call is
// -errno, never an exception: the TypeScript host maps those values to MmfError codes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <node_api.h>

#include "mmf_abi.h"
#include "napi_check.h"
#include "helper_args.h"
#include "region_ops.h"
#include "truncation_guard.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

// The OS page size, read once when the library is loaded: before any environment (main thread or
// worker) can call in, so every thread reads a value that never changes.
uint64_t page_bytes;
__attribute__((constructor)) static void read_page_size(void) {
  page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
}

bool page_aligned(uint64_t value) {
  return value % page_bytes == 0;
}

// `value` rounded up to a whole number of pages (the end of a file's last page).
static uint64_t round_up_to_page(uint64_t value) {
  return (value + page_bytes - 1) / page_bytes * page_bytes;
}

// map()'s epochAddr when the mapping has no watch word.
#define NO_EPOCH (-1)
// Descriptors and small integer arguments are read as doubles and must be at most this.
#define INT_ARG_MAX 2147483647.0
// 2^53: the largest range in which a double holds every integer.
#define DOUBLE_INTEGER_MAX 9007199254740992.0

napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  NAPI_CALL(env, napi_create_int64(env, v, &out));
  return out;
}

// Base address and byte length of the Wasm memory behind a Uint8Array view. A view is used
// because napi_get_arraybuffer_info refuses the SharedArrayBuffer of a shared Wasm memory.
int memory_of(napi_env env, napi_value view, uint8_t** base, size_t* length) {
  bool is_typed = false;
  NAPI_ARG(env, napi_is_typedarray(env, view, &is_typed), -EINVAL);
  if (!is_typed) return -EINVAL;
  napi_typedarray_type type;
  void* data = NULL;
  size_t byte_offset = 0;
  napi_value buffer;
  NAPI_ARG(env, napi_get_typedarray_info(env, view, &type, length, &data, &buffer, &byte_offset), -EINVAL);
  if (type != napi_uint8_array || byte_offset != 0) return -EINVAL;
  *base = data;
  return 0;
}

// A number argument, or `refusal` when it is not a number.
int get_double(napi_env env, napi_value v, double* out, int refusal) {
  NAPI_ARG(env, napi_get_value_double(env, v, out), refusal);
  return 0;
}

static int get_bool(napi_env env, napi_value v, bool* out) {
  NAPI_ARG(env, napi_get_value_bool(env, v, out), -EINVAL);
  return 0;
}

int get_u64(napi_env env, napi_value v, uint64_t* out) {
  double d;
  if (get_double(env, v, &d, -EINVAL) != 0) return -EINVAL;
  if (!(d >= 0 && d <= DOUBLE_INTEGER_MAX) || d != (double)(uint64_t)d) return -EINVAL;
  *out = (uint64_t)d;
  return 0;
}

// A descriptor: an integer from 0 to INT32_MAX. A double is read and checked, never converted
// modulo 2^32 (napi_get_value_int32 would turn 2^32 + n into n, another process's file or ours).
static int get_fd(napi_env env, napi_value v, int* out) {
  double d;
  if (get_double(env, v, &d, -EBADF) != 0 || !(d >= 0 && d <= INT_ARG_MAX) || d != (double)(int)d) return -EBADF;
  *out = (int)d;
  return 0;
}

// A small integer argument (mode, flags, advice) in [lo, hi], read without wrap-around.
static int get_int_in(napi_env env, napi_value v, int lo, int hi, int* out) {
  double d;
  if (get_double(env, v, &d, -EINVAL) != 0 || !(d >= lo && d <= hi) || d != (double)(int)d) return -EINVAL;
  *out = (int)d;
  return 0;
}

// A path argument into buf (cap bytes): a non-empty string with no NUL inside that fits whole.
static int get_path(napi_env env, napi_value v, char* buf, size_t cap) {
  size_t len = 0;
  NAPI_ARG(env, napi_get_value_string_utf8(env, v, buf, cap, &len), -EINVAL);
  // len == cap - 1: it may have been cut short.
  if (len == 0 || len >= cap - 1 || strlen(buf) != len) return -EINVAL;
  return 0;
}

// Checks that [addr, addr+len) is a non-empty page-aligned range inside the memory.
int check_range(uint8_t* base, size_t mem_len, uint64_t addr, uint64_t len) {
  if (len == 0 || !page_aligned(addr) || !page_aligned(len)) return -EINVAL;
  if (addr > mem_len || len > mem_len - addr) return -ERANGE;
  if (!page_aligned((uintptr_t)base)) return -EINVAL;
  return 0;
}

// Puts fresh zeroed read-write pages back over [p, p+len): the state of unused Wasm memory.
static int restore_anonymous(uint8_t* p, size_t len) {
  return guard_zero_fill((uintptr_t)p, (uintptr_t)p + len) ? 0 : -errno;
}

// Idle descriptors the guard keeps for files mapped again soon (see guard_set_idle_files).
#define IDLE_FILES 16

// map()'s flags: the ABI's MMF_MAP_SHARED and MMF_MAP_POPULATE (MMF_MAP_READ_ONLY never reaches
// the helper), and the host's own MAP_STAT_KNOWN (host/backend.ts), which no guest can send.
enum { MAP_STAT_KNOWN = 8, MAP_ALL = MMF_MAP_SHARED | MMF_MAP_POPULATE | MAP_STAT_KNOWN };
_Static_assert((MAP_STAT_KNOWN & MMF_MAP_FLAGS_ALL) == 0, "MAP_STAT_KNOWN is not a guest's flag");

// pageSize(): the OS page size.
static napi_value js_page_size(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, (int64_t)page_bytes);
}

// memoryBase(view): the base address of the memory, to detect a memory that moved.
static napi_value js_memory_base(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* base;
  size_t len;
  if (argc < 1 || memory_of(env, argv[0], &base, &len) != 0) return make_int(env, -EINVAL);
  napi_value out;
  NAPI_CALL(env, napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)base, &out));
  return out;
}

// The stat fileSize took last on this thread, for a map of the same descriptor right after it
// (flag MAP_STAT_KNOWN: the host's own pairing of the two within one operation). fd -1: none.
static __thread struct {
  int fd;
  struct stat st;
} known_stat = {.fd = -1};

// fileSize(fd): the size of a regular file's descriptor, or -errno (-ENODEV: not a regular file).
static napi_value js_file_size(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = -1;
  if (argc < 1 || get_fd(env, argv[0], &fd) != 0) return make_int(env, -EBADF);
  if (fstat(fd, &known_stat.st) != 0) {
    known_stat.fd = -1;
    return make_int(env, -errno);
  }
  known_stat.fd = fd;
  return make_int(env, S_ISREG(known_stat.st.st_mode) ? (int64_t)known_stat.st.st_size : -ENODEV);
}

// fileInfo(fd): [size, accessMode] of a mappable descriptor, or -errno.
static napi_value js_file_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = -1;
  if (argc < 1 || get_fd(env, argv[0], &fd) != 0) return make_int(env, -EBADF);
  struct stat st;
  if (fstat(fd, &st) != 0) return make_int(env, -errno);
  if (!S_ISREG(st.st_mode)) return make_int(env, -ENODEV);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return make_int(env, -errno);
  napi_value out, size, mode;
  NAPI_CALL(env, napi_create_array_with_length(env, 2, &out));
  NAPI_CALL(env, napi_create_int64(env, (int64_t)st.st_size, &size));
  NAPI_CALL(env, napi_create_int64(env, fl & O_ACCMODE, &mode));
  NAPI_CALL(env, napi_set_element(env, out, 0, size));
  NAPI_CALL(env, napi_set_element(env, out, 1, mode));
  return out;
}

// map(view, addr, len, fd, fileOffset, flags, epochAddr): maps file pages over [addr, addr+len)
// of the memory, read-write, MAP_SHARED or MAP_PRIVATE. Never PROT_READ alone: V8 re-protects the
// whole memory read-write on every grow, which fails (and aborts) on a read-only shared map.
// flags: MMF_MAP_SHARED (else MAP_PRIVATE), MMF_MAP_POPULATE: fault every page in now, for
// reading (MADV_POPULATE_READ; MAP_POPULATE would copy every page of a private writable map);
// MAP_STAT_KNOWN (host to helper only): fileSize was just asked about this descriptor, in the same operation.
// The descriptor is checked with the one fstat the guard needs too (fileSize's, with MAP_STAT_KNOWN): a
// regular file (-ENODEV), the range not reaching a whole page past its end (-ERANGE; such pages
// fault on first touch); its access mode is mmap's to check (-EACCES: any map needs it readable,
// a shared one read-write).
// The mapping is guarded against SIGBUS; a fault bumps the i32 at epochAddr (-1: none; any other
// value is an unsigned offset into the memory). -EDQUOT: the process's mapping budget is used up.
static napi_value js_map(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return make_int(env, -EINVAL);
  uint8_t* base;
  size_t mem_len;
  uint64_t addr, len, offset;
  int fd = -1;
  int flags = 0;
  if (memory_of(env, argv[0], &base, &mem_len) != 0) return make_int(env, -EINVAL);
  if (get_u64(env, argv[1], &addr) || get_u64(env, argv[2], &len) || get_u64(env, argv[4], &offset)) return make_int(env, -EINVAL);
  if (get_fd(env, argv[3], &fd) != 0) return make_int(env, -EBADF);
  if (get_int_in(env, argv[5], 0, MAP_ALL, &flags) != 0 || (flags & ~MAP_ALL) != 0) return make_int(env, -EINVAL);
  double epoch_at = NO_EPOCH;
  if (get_double(env, argv[6], &epoch_at, -EINVAL) != 0) return make_int(env, -EINVAL);
  int rc = check_range(base, mem_len, addr, len);
  if (rc != 0) return make_int(env, rc);
  if (!page_aligned(offset)) return make_int(env, -EINVAL);
  int32_t* epoch = NULL;
  if (epoch_at != NO_EPOCH) {
    uint64_t e;
    if (get_u64(env, argv[6], &e) != 0 || e % sizeof *epoch != 0 || e > mem_len || mem_len - e < sizeof *epoch)
      return make_int(env, -EINVAL);
    epoch = (int32_t*)(base + e);
  }
  // The environment the call comes from: guard entries are tagged with it, dropped when it ends.
  void* owner = NULL;
  NAPI_CALL(env, napi_get_instance_data(env, &owner));
  struct stat st;
  if ((flags & MAP_STAT_KNOWN) && known_stat.fd == fd) st = known_stat.st;
  else if (fstat(fd, &st) != 0) return make_int(env, -errno);
  known_stat.fd = -1;  // used once
  if (!S_ISREG(st.st_mode)) return make_int(env, -ENODEV);
  uint64_t file_end = round_up_to_page((uint64_t)st.st_size);
  if (offset > file_end || len > file_end - offset) return make_int(env, -ERANGE);
  rc = guard_install_lazily();  // also puts the handler back if something native replaced it
  if (rc != 0) return make_int(env, rc);
  uint8_t* at = base + addr;
  // Watched before it exists: a fault on another thread the moment it is mapped is absorbed too.
  rc = guard_add_stat((uintptr_t)at, len, fd, &st, offset, epoch, owner);
  if (rc != 0) return make_int(env, rc);
  void* r = mmap(at, len, PROT_READ | PROT_WRITE, MAP_FIXED | ((flags & MMF_MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE), fd, (off_t)offset);
  if (r == MAP_FAILED) {
    int err = errno;
    // A failed MAP_FIXED may already have dropped the old pages: never leave a hole in the memory.
    // When zeroed memory cannot be put back either, that failure is the answer: the range is not
    // what it was (the guard still watches it), which matters more than why the map failed.
    if (guard_remove((uintptr_t)at) == 0) return make_int(env, -err);
    rc = restore_anonymous(at, len);
    return make_int(env, rc != 0 ? rc : -err);
  }
  // Advisory: a kernel before 5.14 has no MADV_POPULATE_READ, and the pages then fault in on touch.
  if (flags & MMF_MAP_POPULATE) (void)madvise(at, len, MADV_POPULATE_READ);
  return make_int(env, 0);
}

int view_range(napi_env env, napi_value view, napi_value addr_arg, napi_value len_arg, uint8_t** at, uint64_t* len) {
  uint8_t* base;
  size_t mem_len;
  uint64_t addr;
  if (memory_of(env, view, &base, &mem_len) != 0) return -EINVAL;
  if (get_u64(env, addr_arg, &addr) || get_u64(env, len_arg, len)) return -EINVAL;
  int rc = check_range(base, mem_len, addr, *len);
  if (rc == 0) *at = base + addr;
  return rc;
}

// The leading (view, addr, len) arguments of unmap, advise and sync.
static int range_args(napi_env env, napi_value* argv, uint8_t** at, uint64_t* len) {
  return view_range(env, argv[0], argv[1], argv[2], at, len);
}

// unmap(view, addr, len): replaces a mapping with zeroed anonymous pages. They are not merged
// back into the memory's area (one madvise fewer; the caller merges them later with merge(), or
// maps over them again: a map + unmap at the same place then never splits the memory's area).
static napi_value js_unmap(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* at;
  uint64_t len;
  int rc = argc < 3 ? -EINVAL : range_args(env, argv, &at, &len);
  if (rc != 0) return make_int(env, rc);
  // The guard restores anonymous memory before it lets go of the slot, so that a fault on another
  // thread in the meantime is still absorbed. A range it does not know (its entry was dropped as
  // stale) is restored here.
  rc = guard_remove_unmerged((uintptr_t)at);
  return make_int(env, rc == -EINVAL ? restore_anonymous(at, len) : rc);
}

// merge(view, addr, len): lets the zeroed pages that unmap left over [addr, addr+len) merge back
// into the memory's area (MADV_DONTFORK, the flag V8 gives a Wasm memory's pages); 0 or -errno.
static napi_value js_merge(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* at;
  uint64_t len;
  int rc = argc < 3 ? -EINVAL : range_args(env, argv, &at, &len);
  if (rc != 0) return make_int(env, rc);
  return make_int(env, guard_merge((uintptr_t)at, (uintptr_t)at + len));
}

// advise(view, addr, len, advice): madvise over a page-aligned range; 0 or -errno. Only advice
// that never changes the contents (no MADV_DONTNEED, which drops private changes).
static napi_value js_advise(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* at;
  uint64_t len;
  int advice = -1;
  int rc = argc < 4 ? -EINVAL : range_args(env, argv, &at, &len);
  if (rc != 0) return make_int(env, rc);
  static const int kinds[MMF_ADVICE_COUNT] = MMF_ADVICE_TO_MADVISE;
  if (get_int_in(env, argv[3], 0, MMF_ADVICE_COUNT - 1, &advice) != 0) return make_int(env, -EINVAL);
  return make_int(env, madvise(at, len, kinds[advice]) == 0 ? 0 : -errno);
}

// truncated(view, addr): whether and why the mapping at addr faulted: 0 not, else the ABI code of
// why (MMF_ETRUNCATED, MMF_ENOSPC, MMF_EIO: enum fault_cause); or -errno.
static napi_value js_truncated(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* base;
  size_t mem_len;
  uint64_t addr;
  if (argc < 2 || memory_of(env, argv[0], &base, &mem_len) != 0 || get_u64(env, argv[1], &addr) || addr >= mem_len)
    return make_int(env, -EINVAL);
  return make_int(env, guard_fault_cause((uintptr_t)(base + addr)));
}

// sync(view, addr, len, async): msync with MS_SYNC or MS_ASYNC.
static napi_value js_sync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* at;
  uint64_t len;
  bool async = false;
  int rc = argc < 4 ? -EINVAL : range_args(env, argv, &at, &len);
  if (rc != 0) return make_int(env, rc);
  if (get_bool(env, argv[3], &async) != 0) return make_int(env, -EINVAL);
  return make_int(env, msync(at, len, async ? MS_ASYNC : MS_SYNC) == 0 ? 0 : -errno);
}

// nextData(fd, offset): the first offset at or after `offset` that holds data (SEEK_DATA), the
// file size when only a hole follows, or -errno. Lets a copy skip the holes of a sparse file.
static napi_value js_next_data(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = -1;
  uint64_t offset;
  if (argc < 2 || get_fd(env, argv[0], &fd) != 0) return make_int(env, -EBADF);
  if (get_u64(env, argv[1], &offset)) return make_int(env, -EINVAL);
  off_t r = lseek(fd, (off_t)offset, SEEK_DATA);
  if (r >= 0) return make_int(env, (int64_t)r);
  if (errno != ENXIO) return make_int(env, -errno);
  struct stat st;
  if (fstat(fd, &st) != 0) return make_int(env, -errno);
  return make_int(env, (int64_t)st.st_size);
}

// Open flags of the ABI's open modes (MMF_OPEN_*).
static int open_flags(int32_t mode) {
  // O_NONBLOCK: a FIFO planted in a preopen must not block the host in open(); it is refused below.
  int common = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  switch (mode) {
    case MMF_OPEN_READ: return O_RDONLY | common;
    case MMF_OPEN_READ_WRITE: return O_RDWR | common;
    case MMF_OPEN_CREATE: return O_RDWR | O_CREAT | O_TRUNC | common;
  }
  return -1;
}

// Without openat2: walks the path one component at a time, refusing "..", "." tricks and
// every symlink, so nothing can lead outside the directory.
static int open_beneath_walk(int dirfd, const char* path, int flags) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) return -EINVAL;
  memcpy(buf, path, n + 1);
  int cur = dirfd;
  char* save = NULL;
  char* part = strtok_r(buf, "/", &save);
  int rc = -ENOENT;
  while (part) {
    char* next = strtok_r(NULL, "/", &save);
    if (strcmp(part, "..") == 0) {
      rc = -EXDEV;
      break;
    }
    if (strcmp(part, ".") == 0) {
      if (!next) {
        rc = -EISDIR;
        break;
      }
      part = next;
      continue;
    }
    int fd = next ? openat(cur, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : openat(cur, part, flags | O_NOFOLLOW, 0644);
    if (fd < 0) {
      rc = -errno;
      struct stat st;
      // O_DIRECTORY | O_NOFOLLOW answers ENOTDIR for a symlink too: a symlinked directory is refused.
      if (rc == -ENOTDIR && next && fstatat(cur, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) rc = -ELOOP;
      break;
    }
    if (cur != dirfd) close(cur);
    cur = fd;
    if (!next) return fd;
    part = next;
  }
  if (cur != dirfd) close(cur);
  return rc;
}

// The arguments of openBeneath and openBeneathWalk: (dirfd, relativePath, mode). 0 or -errno.
static int open_args(napi_env env, napi_callback_info info, int* dirfd, char* path, size_t cap, int* flags) {
  size_t argc = 3;
  napi_value argv[3];
  int mode = -1;
  NAPI_ARG(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), -EINVAL);
  if (argc < 3) return -EINVAL;
  if (get_fd(env, argv[0], dirfd) != 0) return -EBADF;
  if (get_path(env, argv[1], path, cap) != 0) return -EINVAL;
  if (get_int_in(env, argv[2], 0, MMF_OPEN_CREATE, &mode) != 0 || (*flags = open_flags(mode)) < 0) return -EINVAL;
  return 0;
}

// Passes a descriptor of a regular file through; closes anything else (a folder, a FIFO, a device).
static int regular_only(int fd) {
  if (fd < 0) return fd;
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) != 0) err = errno;
  else if (S_ISDIR(st.st_mode)) err = EISDIR;
  else if (!S_ISREG(st.st_mode)) err = ENODEV;
  if (err != 0) {
    close(fd);
    return -err;
  }
  return fd;
}

// openBeneath(dirfd, relativePath, mode): opens a regular file inside the directory `dirfd` and
// never outside it: no "..", absolute path or symlink may lead out (openat2 RESOLVE_BENEATH where
// the kernel has it, a component walk that refuses symlinks where it does not). fd or -errno.
static napi_value js_open_beneath(napi_env env, napi_callback_info info) {
  int dirfd = -1;
  int flags = 0;
  char path[4096];
  int rc = open_args(env, info, &dirfd, path, sizeof path, &flags);
  if (rc != 0) return make_int(env, rc);
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)flags;
  how.mode = (flags & O_CREAT) ? 0644 : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;  // no symlink at all: the component walk's answer too
  int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) fd = open_beneath_walk(dirfd, path, flags);
  else if (fd < 0) fd = -errno;
  return make_int(env, regular_only(fd));
}

// openBeneathWalk(dirfd, relativePath, mode): the fallback alone, so tests can reach it.
static napi_value js_open_beneath_walk(napi_env env, napi_callback_info info) {
  int dirfd = -1;
  int flags = 0;
  char path[4096];
  int rc = open_args(env, info, &dirfd, path, sizeof path, &flags);
  if (rc != 0) return make_int(env, rc);
  return make_int(env, regular_only(open_beneath_walk(dirfd, path, flags)));
}

// openDirectory(path): an O_PATH descriptor of a directory, for a preopen; fd or -errno.
static napi_value js_open_directory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  if (argc < 1 || get_path(env, argv[0], path, sizeof path) != 0) return make_int(env, -EINVAL);
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return make_int(env, fd < 0 ? -errno : fd);
}

// closeFd(fd): close(2) for descriptors the helper opened, and the guard's idle one of the same
// file (see forgetFile); 0 or -errno.
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = -1;
  if (argc < 1 || get_fd(env, argv[0], &fd) != 0) return make_int(env, -EBADF);
  guard_forget_file(fd);
  if (known_stat.fd == fd) known_stat.fd = -1;
  return make_int(env, close(fd) == 0 ? 0 : -errno);
}

// forgetFile(fd): closes the descriptor the guard keeps idle for the file open as `fd` (if any):
// called before the file's own descriptor is closed, so that nothing of ours keeps it (or its file
// system: an unmount) busy. 0, or -EBADF for a value that is no descriptor.
static napi_value js_forget_file(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd = -1;
  if (argc < 1 || get_fd(env, argv[0], &fd) != 0) return make_int(env, -EBADF);
  guard_forget_file(fd);
  if (known_stat.fd == fd) known_stat.fd = -1;
  return make_int(env, 0);
}

// trimIdleFiles(all): closes the idle descriptors unused for 2 s (every one when `all`); the number
// still idle.
static napi_value js_trim_idle_files(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool all = false;
  if (argc >= 1 && get_bool(env, argv[0], &all) != 0) return make_int(env, -EINVAL);
  return make_int(env, (int64_t)guard_trim_idle_files(all));
}

// guardStats(): { live, limit, maxMapCount, files, idleFiles, faults, retried, reinstalled } of the SIGBUS
// guard, for the process (see truncation_guard.h).
static napi_value js_guard_stats(napi_env env, napi_callback_info info) {
  (void)info;
  struct guard_stats st;
  guard_get_stats(&st);
  const struct {
    const char* name;
    double value;
  } fields[] = {
      {"live", (double)st.live},
      {"limit", (double)st.limit},
      {"maxMapCount", (double)st.max_map_count},
      {"files", (double)st.files},
      {"idleFiles", (double)st.idle_files},
      {"faults", (double)st.faults},
      {"retried", (double)st.retried},
      {"reinstalled", (double)st.reinstalled},
  };
  napi_value out;
  NAPI_CALL(env, napi_create_object(env, &out));
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    napi_value value;
    NAPI_CALL(env, napi_create_double(env, fields[i].value, &value));
    NAPI_CALL(env, napi_set_named_property(env, out, fields[i].name, value));
  }
  return out;
}

// setMappingLimit(n): the most live mappings the process may hold (an integer from 1 to 2^20).
static napi_value js_set_mapping_limit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int n = 0;
  if (argc < 1 || get_int_in(env, argv[0], 1, 1 << 20, &n) != 0) return make_int(env, -EINVAL);
  guard_set_limit((size_t)n);
  return make_int(env, 0);
}

// installGuard(): puts the SIGBUS handler back on top if something replaced it; 0 or -errno.
static napi_value js_install_guard(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, guard_install());
}

// When an environment ends (a worker thread), its guard entries go: their epoch words lie in
// memories that are about to be freed. The memory itself is left alone: it may be freed already,
// and its address range handed to someone else.
static void drop_environment(void* tag) {
  guard_drop_owner(tag);
  free(tag);
}

static napi_value init(napi_env env, napi_value exports) {
  // A tag of this environment's own (its address is all that matters).
  void* tag = malloc(1);
  if (tag == NULL) {
    // Nothing more to do if even the throw fails: the module then fails to load without a message.
    (void)napi_throw_error(env, "ENOMEM", "mmf native: no memory for the environment's tag");
    return NULL;
  }
  if (napi_add_env_cleanup_hook(env, drop_environment, tag) != napi_ok) {
    mmf_throw_napi_error(env);
    free(tag);
    return NULL;
  }
  // From here on the cleanup hook frees the tag.
  NAPI_CALL(env, napi_set_instance_data(env, tag, NULL, NULL));
  guard_set_idle_files(IDLE_FILES);
  napi_property_descriptor props[] = {
      {"pageSize", NULL, js_page_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"memoryBase", NULL, js_memory_base, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileSize", NULL, js_file_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileInfo", NULL, js_file_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"map", NULL, js_map, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmap", NULL, js_unmap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"merge", NULL, js_merge, NULL, NULL, NULL, napi_enumerable, NULL},
      {"truncated", NULL, js_truncated, NULL, NULL, NULL, napi_enumerable, NULL},
      {"advise", NULL, js_advise, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sync", NULL, js_sync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nextData", NULL, js_next_data, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openBeneath", NULL, js_open_beneath, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openBeneathWalk", NULL, js_open_beneath_walk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openDirectory", NULL, js_open_directory, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, js_close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"forgetFile", NULL, js_forget_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"trimIdleFiles", NULL, js_trim_idle_files, NULL, NULL, NULL, napi_enumerable, NULL},
      {"guardStats", NULL, js_guard_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMappingLimit", NULL, js_set_mapping_limit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"installGuard", NULL, js_install_guard, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  if (region_ops_register(env, exports) != napi_ok) return NULL;  // its exception is pending
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
