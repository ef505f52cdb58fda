// The system calls the region logic needs. Normally imported from the host as module "mmf"
// (docs/abi.md); in the pure-WASI build (--use MMF_WASI_BACKEND=1) implemented inside the
// module with WASI calls (wasi-backend.ts). Each returns a negated error code (errors.ts) on
// failure. Addresses and lengths are byte offsets into this module's linear memory;
// map/unmap/sync take page-aligned ranges.

import { MAP_SHARED } from "./abi";
import { EACCES, ENOTSUP } from "./errors";
import { wasiClose, wasiFileSize, wasiMap, wasiOpen, wasiPageSize, wasiSync, wasiUnmap } from "./wasi-backend";

@external("mmf", "page_size") declare function mmf_page_size(): i32;
@external("mmf", "file_size") declare function mmf_file_size(handle: i32): i64;
@external("mmf", "map") declare function mmf_map(handle: i32, fileOffset: i64, addr: usize, len: usize, flags: i32): i32;
@external("mmf", "unmap") declare function mmf_unmap(addr: usize, len: usize): i32;
@external("mmf", "sync") declare function mmf_sync(addr: usize, len: usize, isAsync: i32): i32;
@external("mmf", "open") declare function mmf_open(pathPtr: usize, pathLen: usize, mode: i32): i32;
@external("mmf", "close") declare function mmf_close(handle: i32): i32;
@external("mmf", "watch") declare function mmf_watch(epochAddr: usize): i32;
@external("mmf", "fault_cause") declare function mmf_fault_cause(addr: usize, len: usize): i32;
@external("mmf", "advise") declare function mmf_advise(addr: usize, len: usize, advice: i32): i32;
@external("mmf", "open_object") declare function mmf_open_object(namePtr: usize, nameLen: usize, mode: i32): i32;
@external("mmf", "destroy_object") declare function mmf_destroy_object(namePtr: usize, nameLen: usize): i32;
@external("mmf", "truncate") declare function mmf_truncate(handle: i32, size: i64): i32;
@external("mmf", "lock") declare function mmf_lock(addr: usize, len: usize): i32;
@external("mmf", "unlock") declare function mmf_unlock(addr: usize, len: usize): i32;
@external("mmf", "residency") declare function mmf_residency(addr: usize, len: usize, vecPtr: usize): i32;
@external("mmf", "remap") declare function mmf_remap(addr: usize, len: usize, newAddr: usize, newLen: usize): i32;

/** The page size in bytes. */
export function host_page_size(): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiPageSize();
  return mmf_page_size();
}

/** The size in bytes of the file behind `handle`, or a negated error code. */
export function host_file_size(handle: i32): i64 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiFileSize(handle);
  return mmf_file_size(handle);
}

/** Bits of host_map's flags (abi.ts): SHARED writes reach the file, POPULATE faults every page in now, READ_ONLY no store will come. */
export { MAP_SHARED, MAP_POPULATE, MAP_READ_ONLY } from "./abi";

/** Maps `len` bytes of the file at `fileOffset` over [addr, addr+len), with MAP_* flags. */
export function host_map(handle: i32, fileOffset: i64, addr: usize, len: usize, flags: i32): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiMap(handle, fileOffset, addr, len, flags & MAP_SHARED);
  return mmf_map(handle, fileOffset, addr, len, flags);
}

/** madvise over a range inside one mapping, with an ADVICE_* value (abi.ts). */
export function host_advise(addr: usize, len: usize, advice: i32): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return 0;
  return mmf_advise(addr, len, advice);
}

/** Drops the mapping at [addr, addr+len) and puts zeroed memory back. */
export function host_unmap(addr: usize, len: usize): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiUnmap(addr, len);
  return mmf_unmap(addr, len);
}

/** Writes the dirty pages of [addr, addr+len) to the file; `isAsync` 1 = schedule only. */
export function host_sync(addr: usize, len: usize, isAsync: i32): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiSync(addr, len, isAsync);
  return mmf_sync(addr, len, isAsync);
}

/**
 * Opens the file at the UTF-8 path [pathPtr, pathPtr+pathLen) beneath one of the folders the host
 * preopened, with an OPEN_* mode (abi.ts). Returns a handle
 * (> 0) or a negated error code.
 */
export function host_open(pathPtr: usize, pathLen: usize, mode: i32): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiOpen(pathPtr, pathLen, mode);
  return mmf_open(pathPtr, pathLen, mode);
}

/** Closes a handle that `open` returned. */
export function host_close(handle: i32): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return wasiClose(handle);
  return mmf_close(handle);
}

/**
 * Names the i32 at `epochAddr` that the host bumps whenever a mapping of this module faults: past
 * the end of a file truncated under it, or for want of space or a failing device. (WASI build:
 * nothing is mapped, nothing can fault.)
 */
export function host_watch(epochAddr: usize): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return 0;
  return mmf_watch(epochAddr);
}

/**
 * 0 if the mapping [addr, addr+len) never faulted, else why it did: ETRUNCATED (its file shrank),
 * ENOSPC (no room on the file's device) or EIO; or a negated error code.
 */
export function host_fault_cause(addr: usize, len: usize): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return 0;
  return mmf_fault_cause(addr, len);
}

/**
 * Opens the shared memory object named by the UTF-8 bytes [namePtr, namePtr+nameLen) with an OPEN_*
 * mode, if the host allows the name (ABI version 3). Returns a handle or a negated error code.
 * (WASI build: no named objects, EACCES.)
 */
export function host_open_object(namePtr: usize, nameLen: usize, mode: i32): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return -EACCES;
  return mmf_open_object(namePtr, nameLen, mode);
}

/** Removes a shared memory object's name: 1 if it existed, 0 if not, or a negated error code (WASI build: EACCES). */
export function host_destroy_object(namePtr: usize, nameLen: usize): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return -EACCES;
  return mmf_destroy_object(namePtr, nameLen);
}

/** Sets the size of a read-write handle's file (ABI version 3; WASI build: EACCES). */
export function host_truncate(handle: i32, size: i64): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return -EACCES;
  return mmf_truncate(handle, size);
}

// ABI version 3. The pure-WASI build copies instead of mapping: it cannot lock, tell residency or
// remap, and says so (ENOTSUP), as the Node host's emulated backend does.

/** mlock (`lock`) or munlock of a range inside one mapping. */
export function host_lock(addr: usize, len: usize, lock: bool): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return -ENOTSUP;
  return lock ? mmf_lock(addr, len) : mmf_unlock(addr, len);
}

/** Resident pages of a range inside one mapping; one byte per page at `vecPtr` unless it is 0. */
export function host_residency(addr: usize, len: usize, vecPtr: usize): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return -ENOTSUP;
  return mmf_residency(addr, len, vecPtr);
}

/** The mapping that is exactly [addr, addr+len) becomes [newAddr, newAddr+newLen): in place when newAddr == addr, else moved. */
export function host_remap(addr: usize, len: usize, newAddr: usize, newLen: usize): i32 {
  if (isDefined(MMF_WASI_BACKEND)) return -ENOTSUP;
  return mmf_remap(addr, len, newAddr, newLen);
}
