// Named shared memory objects (go-ipc's shm.NewMemoryObject / DestroyMemoryObject): files in
// /dev/shm, as shm_open(3) makes them on Linux, that several processes open by name and map.
import { constants, fstatSync, ftruncateSync, openSync, statSync, unlinkSync } from "node:fs";
import { errorFromNodeError, MmfError } from "./errors.js";
import { closeMappable, regularOrClosed, type Mappable, type SizedObject } from "./mapped-file.js";

/**
 * "r" read-only, "r+" read-write (both: the object must exist), "w+" read-write, created if
 * missing (an existing object keeps its contents: truncating it would fault every peer's
 * mapping), "wx+" read-write, created, EEXIST if it exists.
 */
export type MemoryObjectFlags = "r" | "r+" | "w+" | "wx+";

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;
const OPEN_MODES: Record<MemoryObjectFlags, number> = { r: O_RDONLY, "r+": O_RDWR, "w+": O_RDWR | O_CREAT, "wx+": O_RDWR | O_CREAT | O_EXCL };

/** Where Linux keeps POSIX shared memory (glibc's shm_open opens names there). */
export const SHM_DIR = "/dev/shm";
/** The longest name in bytes: one component of a path (NAME_MAX). */
export const MAX_OBJECT_NAME = 255;

/**
 * The object's name as it lies in /dev/shm, or EINVAL: one path component of 1 to 255 UTF-8 bytes,
 * with no "/" or NUL, not "." or "..". One leading "/" is accepted and dropped, as shm_open's
 * portable "/name" form: "/jobs" and "jobs" are the same object.
 */
export function checkedObjectName(operation: string, name: unknown): string {
  if (typeof name !== "string")
    throw new MmfError("EINVAL", `${operation}: a memory object's name must be a string, got ${typeof name === "bigint" ? "a bigint" : typeof name}`);
  const bare = name.startsWith("/") ? name.slice(1) : name;
  let why: string | undefined;
  if (bare.length === 0) why = "it is empty";
  else if (bare === "." || bare === "..") why = `"${bare}" names a folder`;
  else if (bare.includes("/")) why = 'it holds a "/" (a name is one component; only one leading "/" is allowed)';
  else if (bare.includes("\0")) why = "it holds a NUL";
  else if (Buffer.byteLength(bare, "utf8") > MAX_OBJECT_NAME) why = `it is longer than ${MAX_OBJECT_NAME} bytes (NAME_MAX)`;
  else if (/\p{Cs}/u.test(bare)) why = "it is not valid Unicode (a lone surrogate)";
  if (why) throw new MmfError("EINVAL", `${operation}: bad memory object name ${JSON.stringify(name)}: ${why}`);
  return bare;
}

/** The MmfError for a failed open of `path`, in the words of memory objects. */
function openError(operation: string, path: string, err: unknown): MmfError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") {
    let shm = true;
    try {
      shm = statSync(SHM_DIR).isDirectory();
    } catch {
      shm = false;
    }
    if (!shm) return new MmfError("ENOENT", `${operation}: ${SHM_DIR} is missing: this system has no POSIX shared memory file system (mount a tmpfs there)`);
    return new MmfError("ENOENT", `${operation}: no memory object ${path} (open it with "w+" or "wx+" to create it)`);
  }
  if (code === "EEXIST") return new MmfError("EEXIST", `${operation}: the memory object ${path} exists already`);
  if (code === "ELOOP") return new MmfError("EACCES", `${operation}: ${path} is a symbolic link, never followed`);
  if (code === "ENXIO") return new MmfError("EINVAL", `${operation}: ${path} is not a regular file (a socket or a device: ENXIO)`);
  return errorFromNodeError(operation, err);
}

/**
 * Opens /dev/shm/NAME: O_NOFOLLOW (a symlink planted there is refused), O_NONBLOCK (a FIFO planted
 * there cannot block the open), O_NOCTTY, and O_CLOEXEC (libuv adds it to every open); anything
 * but a regular file is EINVAL.
 */
function openObject(operation: string, path: string, flags: MemoryObjectFlags, perm: number): number {
  let fd: number;
  try {
    fd = openSync(path, OPEN_MODES[flags] | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, perm);
  } catch (err) {
    throw openError(operation, path, err);
  }
  return regularOrClosed(operation, path, fd, "a memory object (a regular file)");
}

/** A size for truncate: a number or bigint from 0 to 2^53 - 1, never read modulo anything. */
function checkedSize(operation: string, size: unknown): number {
  if (typeof size === "bigint") {
    if (size < 0n || size > BigInt(Number.MAX_SAFE_INTEGER))
      throw new MmfError(size < 0n ? "EINVAL" : "ERANGE", `${operation}: size ${size}n is out of range (0 to 2^53 - 1)`);
    return Number(size);
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || Object.is(size, -0)) {
    const shown = typeof size === "number" ? String(Object.is(size, -0) ? "-0" : size) : `of type ${typeof size}`;
    throw new MmfError(
      typeof size === "number" && Number.isInteger(size) && size > 0 ? "ERANGE" : "EINVAL",
      `${operation}: size must be an integer from 0 to 2^53 - 1, got ${shown}`,
    );
  }
  return size;
}

/** A named shared memory object, open for mapping with newMemoryRegion (Go's shm.MemoryObject). */
export class MemoryObject implements Mappable, SizedObject {
  #fd: number;
  readonly #name: string;
  readonly #writable: boolean;

  /** @internal Use newMemoryObject(). */
  constructor(fd: number, name: string, writable: boolean) {
    this.#fd = fd;
    this.#name = name;
    this.#writable = writable;
  }

  /** The descriptor, or -1 once closed (a region of a closed object is then EBADF). */
  fd(): number {
    return this.#fd;
  }

  /** The name, without a leading "/". */
  name(): string {
    return this.#name;
  }

  /** Where the object lies: /dev/shm/NAME. */
  path(): string {
    return `${SHM_DIR}/${this.#name}`;
  }

  /** Whether it was opened read-write (so MEM_READWRITE regions and truncate are allowed). */
  get writable(): boolean {
    return this.#writable;
  }

  #open(operation: string): number {
    if (this.#fd < 0) throw new MmfError("ECLOSED", `MemoryObject(${this.#name}).${operation}: the object is closed`);
    return this.#fd;
  }

  /** The object's size in bytes. */
  size(): number {
    const fd = this.#open("size()");
    return fstatSync(fd).size;
  }

  /**
   * Sets the size (a new object is 0 bytes: size it before mapping). Shrinking it under a peer's
   * live mapping makes that peer's next touch past the end fault (absorbed: ETRUNCATED).
   */
  truncate(size: number | bigint): void {
    const operation = `MemoryObject(${this.#name}).truncate(${typeof size === "bigint" ? `${size}n` : String(size)})`;
    const fd = this.#open(`truncate(${String(size)})`);
    const bytes = checkedSize(operation, size);
    if (!this.#writable) throw new MmfError("EACCES", `${operation}: the object was opened read-only ("r")`);
    try {
      ftruncateSync(fd, bytes);
    } catch (err) {
      throw errorFromNodeError(operation, err);
    }
  }

  /** Closes the descriptor; regions already mapped stay valid, and the object stays. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeMappable(fd);
  }

  /**
   * close(), then removes the name (destroyMemoryObject): processes that have it open or mapped keep
   * their pages; a later open of the name finds nothing, or a new object. As with shm_unlink, it is
   * the name that goes: if another process replaced the object under it, the newcomer's name goes.
   */
  destroy(): void {
    this.close();
    destroyMemoryObject(this.#name);
  }

  /** close() (not destroy()), for `using object = newMemoryObject(name, "w+")`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Opens (or creates) the shared memory object `name` with flags "r", "r+", "w+" or "wx+"; `perm` applies to a created one, less the umask. */
export function newMemoryObject(name: string, flags: MemoryObjectFlags = "r", perm = 0o666): MemoryObject {
  const shown = typeof name === "string" ? name : typeof name;
  const operation = `newMemoryObject(${shown}, ${String(flags)})`;
  const bare = checkedObjectName(operation, name);
  if (typeof flags !== "string" || !Object.hasOwn(OPEN_MODES, flags))
    throw new MmfError(
      "EINVAL",
      `${operation}: flags must be "r", "r+", "w+" or "wx+", got ${typeof flags === "string" ? JSON.stringify(flags) : typeof flags}`,
    );
  if (typeof perm !== "number" || !Number.isInteger(perm) || perm < 0 || perm > 0o777) {
    throw new MmfError("EINVAL", `${operation}: perm must be an integer from 0 to 0o777, got ${typeof perm === "number" ? perm : typeof perm}`);
  }
  const fd = openObject(operation, `${SHM_DIR}/${bare}`, flags, perm);
  return new MemoryObject(fd, bare, flags !== "r");
}

/**
 * Removes the shared memory object `name` (shm_unlink: the name goes, never what a symlink there
 * points at). Returns whether it existed: removing a missing one is no error, as in go-ipc.
 */
export function destroyMemoryObject(name: string): boolean {
  const operation = `destroyMemoryObject(${typeof name === "string" ? name : typeof name})`;
  const path = `${SHM_DIR}/${checkedObjectName(operation, name)}`;
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === "ENOENT") return false;
    throw errorFromNodeError(operation, err);
  }
  return true;
}
