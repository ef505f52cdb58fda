// MappedFile, Mappable and SizedObject: what a region maps.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, type Stats } from "node:fs";
import { errorFromNodeError, MmfError } from "./errors.js";
import { forgetFile } from "./native.js";

/** Anything with an OS file descriptor can be mapped (Go's mmf.Mappable). */
export interface Mappable {
  fd(): number;
}

/** An object that knows its size (Go's mmf.SizedObject). */
export interface SizedObject {
  size(): number;
}

export type OpenFlags = "r" | "r+" | "w+";
const OPEN_FLAGS: readonly string[] = ["r", "r+", "w+"];

const { O_RDONLY, O_RDWR, O_CREAT, O_TRUNC, O_NONBLOCK, O_NOCTTY } = constants;
const OPEN_MODES: Record<OpenFlags, number> = { r: O_RDONLY, "r+": O_RDWR, "w+": O_RDWR | O_CREAT | O_TRUNC };

/** The largest descriptor number: descriptors are C ints. */
const MAX_FD = 0x7fffffff;

/**
 * A descriptor as fd() returned it, if it is one: an integer from 0 to 2^31 - 1. Anything else
 * (2^32 + n, -0, NaN, a bigint, a string) is EBADF, never read as descriptor n.
 */
export function checkedFd(operation: () => string, fd: unknown): number {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0 || fd > MAX_FD || Object.is(fd, -0)) {
    const shown = typeof fd === "bigint" ? `${fd}n (a bigint)` : Object.is(fd, -0) ? "-0" : typeof fd === "number" ? String(fd) : `of type ${typeof fd}`;
    throw new MmfError("EBADF", `${operation()}: bad or closed file descriptor ${shown}`);
  }
  return fd;
}

/** What a file that is not a regular one is, for a message. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Opens a regular file, never blocking: O_NONBLOCK, so that a FIFO with no writer (or a device)
 * cannot hang the open, then anything but a regular file is refused with EINVAL. O_NONBLOCK stays
 * set: it has no effect on regular files (open(2)) and node:fs offers no fcntl to clear it.
 */
export function openRegularFile(operation: string, path: string, flags: OpenFlags): number {
  let fd: number;
  try {
    fd = openSync(path, OPEN_MODES[flags] | O_NONBLOCK | O_NOCTTY, 0o666);
  } catch (err) {
    // open(2) answers ENXIO for a socket, and for a device without a driver.
    if ((err as NodeJS.ErrnoException)?.code === "ENXIO")
      throw new MmfError("EINVAL", `${operation}: ${path} is not a regular file (a socket or a device: ENXIO)`);
    throw errorFromNodeError(operation, err);
  }
  return regularOrClosed(operation, path, fd, "a regular file");
}

/** `fd` if it is a regular file's; else it is closed and the error (EINVAL: "PATH is a FIFO, not WHAT") thrown. */
export function regularOrClosed(operation: string, path: string, fd: number, what: string): number {
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw errorFromNodeError(operation, err);
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new MmfError("EINVAL", `${operation}: ${path} is ${kindOf(st)}, not ${what}`);
  }
  return fd;
}

/** A file opened for mapping. `fd()` is -1 once closed, so mapping a closed file fails with EBADF. */
export class MappedFile implements Mappable, SizedObject {
  #fd: number;
  readonly path: string;

  constructor(fd: number, path: string) {
    this.#fd = fd;
    this.path = path;
  }

  fd(): number {
    return this.#fd;
  }

  size(): number {
    if (this.#fd < 0) throw new MmfError("EBADF", `MappedFile.size(${this.path}): the file is closed`);
    return fstatSync(this.#fd).size;
  }

  /**
   * Sets the file's size (ftruncate): a larger size appends zeros, which a region reaches after
   * MemoryRegion.remap (a log or database that grows); a smaller one cuts regions that reach past
   * it (they report ETRUNCATED). Needs a file opened "r+" or "w+".
   */
  truncate(newSize: number | bigint): void {
    const operation = `MappedFile.truncate(${this.path}, ${typeof newSize === "bigint" ? `${newSize}n` : String(newSize)})`;
    if (this.#fd < 0) throw new MmfError("EBADF", `${operation}: the file is closed`);
    const size = typeof newSize === "bigint" && newSize <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(newSize) : newSize;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw new MmfError("EINVAL", `${operation}: the size must be a non-negative integer up to 2^53 - 1`);
    }
    try {
      ftruncateSync(this.#fd, size);
    } catch (err) {
      throw errorFromNodeError(operation, err);
    }
  }

  /** Closes the descriptor; regions already mapped stay valid. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeMappable(fd);
  }

  /** close(), for `using file = openFile(path)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Opens `path` for mapping: "r" read-only, "r+" read-write, "w+" read-write, created or truncated. */
export function openFile(path: string, flags: OpenFlags = "r"): MappedFile {
  if (typeof path !== "string" || path.length === 0) throw new MmfError("EINVAL", `openFile: path must be a non-empty string, got ${String(path)}`);
  if (!OPEN_FLAGS.includes(flags)) throw new MmfError("EINVAL", `openFile(${path}): flags must be "r", "r+" or "w+", got ${JSON.stringify(flags)}`);
  return new MappedFile(openRegularFile(`openFile(${path}, ${flags})`, path, flags), path);
}

/**
 * Closes a Mappable's descriptor: first the guard's idle descriptor of the same file (kept for its
 * next map), which would otherwise keep the file, and its file system, busy a while.
 */
export function closeMappable(fd: number): void {
  forgetFile(fd);
  closeSync(fd);
}
