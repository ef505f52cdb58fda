// MmfError and the error codes of the `mmf` ABI (their numbers and texts: abi.ts, generated).
import { constants } from "node:os";
import { ErrorCodes, ErrorTexts, ERRNOS_OF_CODE, type MmfErrorCode } from "./abi.js";

export { ErrorCodes } from "./abi.js";
export type { MmfErrorCode } from "./abi.js";

const NAMES: MmfErrorCode[] = [];
for (const [name, value] of Object.entries(ErrorCodes)) NAMES[value] = name as MmfErrorCode;

/** The ABI code of each errno value a host turns into one other than EIO. */
const CODE_OF_ERRNO = new Map<number, number>();
for (const [name, errnos] of Object.entries(ERRNOS_OF_CODE)) {
  for (const errno of errnos) {
    const value = (constants.errno as Record<string, number>)[errno];
    if (value !== undefined) CODE_OF_ERRNO.set(value, ErrorCodes[name as MmfErrorCode]);
  }
}

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
  return new MmfError(name, `${operation}: ${detail ?? ErrorTexts[name]}`);
}

/** The ABI code (negated) for a negated errno from the native helper or a system call. */
export function codeFromErrno(negErrno: number): number {
  return -(CODE_OF_ERRNO.get(-negErrno) ?? ErrorCodes.EIO);
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
