// MmfError and the error codes of the `mmf` ABI (the same numbers as assembly/errors.ts).
import { constants } from "node:os";

export type MmfErrorCode =
  | "EINVAL" | "ERANGE" | "EACCES" | "EBADF" | "ECLOSED" | "ENOMEM" | "EIO" | "ETRUNCATED" | "ENOENT" | "ENOSPC";

/** Code numbers as Wasm functions return them (negated on failure). Keep in step with assembly/errors.ts. */
export const ErrorCodes: Readonly<Record<MmfErrorCode, number>> = Object.freeze({
  EINVAL: 1, ERANGE: 2, EACCES: 3, EBADF: 4, ECLOSED: 5, ENOMEM: 6, EIO: 7, ETRUNCATED: 8, ENOENT: 9, ENOSPC: 10,
});

const NAMES: MmfErrorCode[] = [];
for (const [name, value] of Object.entries(ErrorCodes)) NAMES[value] = name as MmfErrorCode;

const DESCRIPTIONS: Record<MmfErrorCode, string> = {
  EINVAL: "invalid argument",
  ERANGE: "offset or size beyond the end of the object",
  EACCES: "not allowed by the region's mode or the file's access",
  EBADF: "bad or closed file descriptor",
  ECLOSED: "the region is closed",
  ENOMEM: "no room: the 4 GiB Wasm address space, a budget of live mappings, or the system's memory",
  EIO: "system call failed",
  ETRUNCATED: "the file was truncated under the region",
  ENOENT: "no such file",
  ENOSPC: "no space left on the file's device: bytes written through the region may not have reached the file",
};

/** The error every operation of this package throws. `code` says what went wrong. */
export class MmfError extends Error {
  readonly code: MmfErrorCode;
  constructor(code: MmfErrorCode, message: string) {
    super(`${message} (${code})`);
    this.name = "MmfError";
    this.code = code;
  }
}

/** The name of a (possibly negated) ABI code number. */
export function codeName(code: number): MmfErrorCode {
  return NAMES[Math.abs(code)] ?? "EIO";
}

/** An MmfError for `operation` from a negated ABI code, with an optional detail instead of the generic text. */
export function errorFromCode(operation: string, code: number, detail?: string): MmfError {
  const name = codeName(code);
  return new MmfError(name, `${operation}: ${detail ?? DESCRIPTIONS[name]}`);
}

/** The ABI code (negated) for a negated errno from the native helper or a system call. */
export function codeFromErrno(negErrno: number): number {
  const e = constants.errno;
  switch (-negErrno) {
    case e.EINVAL: case e.ENODEV: case e.EOVERFLOW: case e.EISDIR: case e.ENAMETOOLONG: return -ErrorCodes.EINVAL;
    case e.ERANGE: case e.EFBIG: case e.ENXIO: return -ErrorCodes.ERANGE;
    // EXDEV and ELOOP: a path that would lead out of its preopen, or through a symlink.
    case e.EACCES: case e.EPERM: case e.ETXTBSY: case e.EROFS: case e.EXDEV: case e.ELOOP: return -ErrorCodes.EACCES;
    case e.EBADF: return -ErrorCodes.EBADF;
    case e.ENOMEM: case e.EAGAIN: case e.EMFILE: case e.ENFILE: return -ErrorCodes.ENOMEM;
    case e.ENOENT: case e.ENOTDIR: return -ErrorCodes.ENOENT;
    case e.ENOSPC: case e.EDQUOT: return -ErrorCodes.ENOSPC;
    default: return -ErrorCodes.EIO;
  }
}

/** An MmfError for a failed `node:fs` call (whose error carries a string code). */
export function errorFromNodeError(operation: string, err: unknown): MmfError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const errno = code && code in constants.errno ? (constants.errno as Record<string, number>)[code] : 0;
  const message = err instanceof Error ? err.message : String(err);
  return new MmfError(codeName(errno ? codeFromErrno(-errno) : -ErrorCodes.EIO), `${operation}: ${message}`);
}

/** `rc` if it is not negative, else the MmfError of the negated ABI code it is, for `operation`. */
export function throwIfNegative(operation: string, rc: number): number {
  if (rc < 0) throw errorFromCode(operation, rc);
  return rc;
}
