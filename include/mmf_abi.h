// Generated from abi/abi.json by scripts/gen-abi.mjs: do not edit (npm run build rewrites it).
// The numbers of the `mmf` ABI (docs/abi.md), shared by the Node native helper, the Wasmtime host's
// library and C guests; a guest includes <mmf.h>, which includes this and declares the imports.
#ifndef MMF_ABI_H
#define MMF_ABI_H

#define MMF_ABI_VERSION          3

// Error codes: an import that fails returns the negated code.
#define MMF_EINVAL               1    // invalid argument
#define MMF_ERANGE               2    // offset or size beyond the end of the object
#define MMF_EACCES               3    // not allowed by the region's mode or the file's access
#define MMF_EBADF                4    // bad or closed file handle
#define MMF_ECLOSED              5    // the region is closed
#define MMF_ENOMEM               6    // no room: the 4 GiB Wasm address space, a budget of live mappings, or the system's memory
#define MMF_EIO                  7    // system call failed
#define MMF_ETRUNCATED           8    // the file was truncated under the region
#define MMF_ENOENT               9    // no such file
#define MMF_ENOSPC               10   // no space left on the file's device: bytes written through the region may not have reached the file (ABI version 2)
#define MMF_EEXIST               11   // the object already exists (ABI version 3)
#define MMF_ENOTSUP              12   // not supported by this host or backend (ABI version 3)

// Bits of the flags of mmf_map.
#define MMF_MAP_SHARED           1    // writes reach the file (else private copy-on-write)
#define MMF_MAP_POPULATE         2    // fault every page in now
#define MMF_MAP_READ_ONLY        4    // no store will come: a host may map the range PROT_READ (ABI version 2)
#define MMF_MAP_FLAGS_ALL        7    // any other bit is EINVAL

// Modes of mmf_open.
#define MMF_OPEN_READ            0    // read-only (a shared map of it is EACCES)
#define MMF_OPEN_READ_WRITE      1    // read-write; the file must exist
#define MMF_OPEN_CREATE          2    // read-write, created if missing and truncated to 0 bytes (open_object: created if missing, an existing object keeps its contents)
#define MMF_OPEN_CREATE_NEW      3    // (open_object only; open answers EINVAL) read-write, created; EEXIST if the object exists

// Advice of mmf_advise, 0 to MMF_ADVICE_COUNT - 1.
#define MMF_ADVICE_NORMAL        0    // MADV_NORMAL
#define MMF_ADVICE_RANDOM        1    // MADV_RANDOM
#define MMF_ADVICE_SEQUENTIAL    2    // MADV_SEQUENTIAL
#define MMF_ADVICE_WILLNEED      3    // MADV_WILLNEED
#define MMF_ADVICE_HUGEPAGE      4    // MADV_HUGEPAGE
#define MMF_ADVICE_COUNT         5

// Limits.
#define MMF_MAX_PATH             4096 // An open path of this many bytes or more is EINVAL.
#define MMF_DEFAULT_MAX_HANDLES  1024 // Handles a guest may hold open at once unless its host says otherwise (then ENOMEM).
#define MMF_DEFAULT_MAX_MAPPINGS 4096 // Live mappings a guest may hold at once unless its host says otherwise (then ENOMEM).

// For hosts (with <sys/mman.h>): the madvise advice behind each advice value, indexed by it.
#define MMF_ADVICE_TO_MADVISE { [MMF_ADVICE_NORMAL] = MADV_NORMAL, [MMF_ADVICE_RANDOM] = MADV_RANDOM, [MMF_ADVICE_SEQUENTIAL] = MADV_SEQUENTIAL, [MMF_ADVICE_WILLNEED] = MADV_WILLNEED, [MMF_ADVICE_HUGEPAGE] = MADV_HUGEPAGE }

#if defined(__wasm__)
#include <stddef.h>
#include <stdint.h>

// The imports of module "mmf" (docs/abi.md). Addresses and lengths are byte offsets into memory 0;
// each returns 0 (or a value >= 0) on success and a negated MMF_E* code on failure.
#define MMF_IMPORT(name) __attribute__((import_module("mmf"), import_name(name)))
// the host's page size
MMF_IMPORT("page_size") int32_t mmf_page_size(void);
// the file's size in bytes, or a negated code
MMF_IMPORT("file_size") int64_t mmf_file_size(int32_t handle);
// opens a path beneath a preopen; a handle, or a negated code
MMF_IMPORT("open") int32_t mmf_open(const char* path, size_t path_len, int32_t mode);
// closes a handle; mappings made from it stay valid
MMF_IMPORT("close") int32_t mmf_close(int32_t handle);
// maps [file_offset, +len) of the file over [addr, addr + len), replacing what was there
MMF_IMPORT("map") int32_t mmf_map(int32_t handle, int64_t file_offset, void* addr, size_t len, int32_t flags);
// drops the mapping that is exactly [addr, addr + len); zeroed memory comes back
MMF_IMPORT("unmap") int32_t mmf_unmap(void* addr, size_t len);
// writes the dirty pages of a range inside one mapping to the file
MMF_IMPORT("sync") int32_t mmf_sync(void* addr, size_t len, int32_t async);
// madvise over a range inside one mapping
MMF_IMPORT("advise") int32_t mmf_advise(void* addr, size_t len, int32_t advice);
// names the i32 the host increments whenever a mapping of this guest faults
MMF_IMPORT("watch") int32_t mmf_watch(volatile int32_t* epoch);
// 0, or why the mapping that holds [addr, addr + len) faulted: ETRUNCATED, ENOSPC, EIO (ABI version 2)
MMF_IMPORT("fault_cause") int32_t mmf_fault_cause(void* addr, size_t len);
// opens a named shared memory object the host allows; a handle, or a negated code (ABI version 3)
MMF_IMPORT("open_object") int32_t mmf_open_object(const char* name, size_t name_len, int32_t mode);
// removes a named shared memory object the host allows; 1 if it existed, 0 if not (ABI version 3)
MMF_IMPORT("destroy_object") int32_t mmf_destroy_object(const char* name, size_t name_len);
// sets the size of a read-write handle's file or memory object (ABI version 3)
MMF_IMPORT("truncate") int32_t mmf_truncate(int32_t handle, int64_t size);
// 1 if the mapping that holds [addr, addr + len) faulted, for any cause (version 1)
MMF_IMPORT("truncated") int32_t mmf_truncated(void* addr, size_t len);
// mlock of a range inside one mapping: its pages are read in and stay in memory (ABI version 3)
MMF_IMPORT("lock") int32_t mmf_lock(void* addr, size_t len);
// munlock of a range inside one mapping (ABI version 3)
MMF_IMPORT("unlock") int32_t mmf_unlock(void* addr, size_t len);
// how many pages of a range inside one mapping are in memory (mincore); one byte per page at vec_ptr unless 0 (ABI version 3)
MMF_IMPORT("residency") int32_t mmf_residency(void* addr, size_t len, uint8_t* vec);
// resizes the mapping that is exactly [addr, addr + len) in place (new_addr = addr) or moves it to [new_addr, new_addr + new_len) (ABI version 3)
MMF_IMPORT("remap") int32_t mmf_remap(void* addr, size_t len, void* new_addr, size_t new_len);
#undef MMF_IMPORT

// The name of a (possibly negated) code, such as "ERANGE".
static inline const char* mmf_error_name(int32_t code) {
  switch (code < 0 ? -code : code) {
    case 0: return "OK";
    case MMF_EINVAL: return "EINVAL";
    case MMF_ERANGE: return "ERANGE";
    case MMF_EACCES: return "EACCES";
    case MMF_EBADF: return "EBADF";
    case MMF_ECLOSED: return "ECLOSED";
    case MMF_ENOMEM: return "ENOMEM";
    case MMF_EIO: return "EIO";
    case MMF_ETRUNCATED: return "ETRUNCATED";
    case MMF_ENOENT: return "ENOENT";
    case MMF_ENOSPC: return "ENOSPC";
    case MMF_EEXIST: return "EEXIST";
    case MMF_ENOTSUP: return "ENOTSUP";
  }
  return "EUNKNOWN";
}
#endif

#endif
