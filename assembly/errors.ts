// Generated from abi/abi.json by scripts/gen-abi.mjs: do not edit (npm run build rewrites it).
// Error codes shared by the Wasm region logic, the `mmf` host imports and the JavaScript API.
// Functions that can fail return the negated code (a negative number); 0 or more is success.

export const OK: i32 = 0;
/** invalid argument. */
export const EINVAL: i32 = 1;
/** offset or size beyond the end of the object. */
export const ERANGE: i32 = 2;
/** not allowed by the region's mode or the file's access. */
export const EACCES: i32 = 3;
/** bad or closed file handle. */
export const EBADF: i32 = 4;
/** the region is closed. */
export const ECLOSED: i32 = 5;
/** no room: the 4 GiB Wasm address space, a budget of live mappings, or the system's memory. */
export const ENOMEM: i32 = 6;
/** system call failed. */
export const EIO: i32 = 7;
/** the file was truncated under the region. */
export const ETRUNCATED: i32 = 8;
/** no such file. */
export const ENOENT: i32 = 9;
/** no space left on the file's device: bytes written through the region may not have reached the file (ABI version 2). */
export const ENOSPC: i32 = 10;
/** the object already exists (ABI version 3). */
export const EEXIST: i32 = 11;
/** not supported by this host or backend (ABI version 3). */
export const ENOTSUP: i32 = 12;

/** The symbolic name of an error code, such as "ERANGE". */
export function errorName(code: i32): string {
  if (code < 0) code = -code;
  switch (code) {
    case OK: return "OK";
    case EINVAL: return "EINVAL";
    case ERANGE: return "ERANGE";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case ECLOSED: return "ECLOSED";
    case ENOMEM: return "ENOMEM";
    case EIO: return "EIO";
    case ETRUNCATED: return "ETRUNCATED";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case EEXIST: return "EEXIST";
    case ENOTSUP: return "ENOTSUP";
  }
  return "EUNKNOWN";
}

/** A one-line description of an error code. */
export function errorMessage(code: i32): string {
  if (code < 0) code = -code;
  switch (code) {
    case OK: return "success";
    case EINVAL: return "invalid argument";
    case ERANGE: return "offset or size beyond the end of the object";
    case EACCES: return "not allowed by the region's mode or the file's access";
    case EBADF: return "bad or closed file handle";
    case ECLOSED: return "the region is closed";
    case ENOMEM: return "no room: the 4 GiB Wasm address space, a budget of live mappings, or the system's memory";
    case EIO: return "system call failed";
    case ETRUNCATED: return "the file was truncated under the region";
    case ENOENT: return "no such file";
    case ENOSPC: return "no space left on the file's device: bytes written through the region may not have reached the file";
    case EEXIST: return "the object already exists";
    case ENOTSUP: return "not supported by this host or backend";
  }
  return "unknown error";
}

/** The negated code for a WASI (preview1) errno, as a host turns the same errno into it; 0 for success. */
export function codeOfWasiErrno(errno: u16): i32 {
  switch (errno) {
    case 0: return 0;
    case 28: case 43: case 60: case 61: case 31: case 37: return -EINVAL; // EINVAL, ENODEV, ENXIO, EOVERFLOW, EISDIR, ENAMETOOLONG
    case 68: case 22: return -ERANGE; // ERANGE, EFBIG
    case 2: case 63: case 74: case 69: case 75: case 32: case 76: return -EACCES; // EACCES, EPERM, ETXTBSY, EROFS, EXDEV, ELOOP, ENOTCAPABLE
    case 8: return -EBADF; // EBADF
    case 48: case 6: case 33: case 41: return -ENOMEM; // ENOMEM, EAGAIN, EMFILE, ENFILE
    case 44: case 54: return -ENOENT; // ENOENT, ENOTDIR
    case 51: case 19: return -ENOSPC; // ENOSPC, EDQUOT
    case 20: return -EEXIST; // EEXIST
    case 58: return -ENOTSUP; // ENOTSUP
  }
  return -EIO;
}
