// AssemblyScript has no catchable exceptions: fallible calls return a Result, never abort.

import { errorMessage, errorName } from "./errors";

export class Result<T> {
  constructor(
    /** The value, or null when `error` is set. */
    public value: T | null,
    /** 0, or the error code (EINVAL, ERANGE, ...). */
    public error: i32,
  ) {}

  get ok(): bool {
    return this.error == 0;
  }

  /** "ERANGE: offset or size beyond the end of the object", or "OK". */
  message(): string {
    return errorName(this.error) + ": " + errorMessage(this.error);
  }
}
