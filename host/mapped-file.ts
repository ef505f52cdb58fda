// MappedFile, Mappable and SizedObject: what a region maps.
import { closeSync, fstatSync, openSync } from "node:fs";
import { errorFromNodeError, MmfError } from "./errors.js";

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

  /** Closes the descriptor; regions already mapped stay valid. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeSync(fd);
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
  try {
    return new MappedFile(openSync(path, flags), path);
  } catch (err) {
    throw errorFromNodeError(`openFile(${path}, ${flags})`, err);
  }
}
