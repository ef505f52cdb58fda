// Error codes shared by the Wasm region logic, the `mmf` host imports and the JavaScript API.
// Functions that can fail return the negated code (a negative number); 0 or more is success.

export const OK: i32 = 0;
/** Bad argument: unknown mode, negative or non-integer offset or size, bad page size. */
export const EINVAL: i32 = 1;
/** Offset or size beyond the end of the object. */
export const ERANGE: i32 = 2;
/** The mode or the operation is not allowed: a writable map of a read-only file, a write to a read-only region. */
export const EACCES: i32 = 3;
/** Bad, closed or foreign file handle. */
export const EBADF: i32 = 4;
/** The region was closed. */
export const ECLOSED: i32 = 5;
/** No room: the 4 GiB Wasm address space, a budget of live mappings, or the system refused the memory. */
export const ENOMEM: i32 = 6;
/** Any other failure of a system call. */
export const EIO: i32 = 7;
/** The file was truncated under the region. */
export const ETRUNCATED: i32 = 8;
/** No such file (a path that resolves to nothing the host allows). */
export const ENOENT: i32 = 9;
/** The file system had no room for a page written (or, on tmpfs, read) through the region. */
export const ENOSPC: i32 = 10;

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
    case EACCES: return "operation not allowed by the mode or the file's access";
    case EBADF: return "bad or closed file handle";
    case ECLOSED: return "the region is closed";
    case ENOMEM: return "no room: address space, mapping budget or memory";
    case EIO: return "system call failed";
    case ETRUNCATED: return "the file was truncated under the region";
    case ENOENT: return "no such file";
    case ENOSPC: return "no space left on the file's device";
  }
  return "unknown error";
}
