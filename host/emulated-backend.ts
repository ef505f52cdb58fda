// The emulated backend: no mmap. A "mapping" copies the file's bytes into the Wasm memory; a
// shared one keeps a copy of what it read and writes back, at flush and unmap, only the bytes
// that differ from it. For Node machines where the native helper could not be built.
import { closeSync, constants, fdatasyncSync, fstatSync, lstatSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import type { Backend } from "./backend.js";
import { MAP_FLAG_SHARED, OpenModes } from "./abi.js";

const PAGE = 4096;
// Access modes as fileInfo reports them (the native helper's F_GETFL & O_ACCMODE).
const { O_RDONLY, O_WRONLY, O_RDWR } = constants;
/** open(2) flags of each ABI open mode. */
const OPEN_FLAGS = new Map<number, number>([
  [OpenModes.READ, O_RDONLY],
  [OpenModes.READ_WRITE, O_RDWR],
  [OpenModes.CREATE, O_RDWR | constants.O_CREAT | constants.O_TRUNC],
]);

interface SharedMapping {
  /** A descriptor of our own: the caller may close theirs while the region lives. */
  fd: number;
  fileOffset: number;
  /** The bytes as last read or written back, to find the bytes that changed. */
  shadow: Uint8Array;
}

const osErrno = osConstants.errno;

/** Runs a node:fs body, turning its exception into a negated errno, as the native helper returns. */
function tryCall<T>(body: () => T): T | number {
  try {
    return body();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    return -((code && (osErrno as Record<string, number>)[code]) || osErrno.EIO);
  }
}

/** Reads [offset, offset+len) of the file into view at `at`, zero-filling past the end. */
function readInto(fd: number, view: Uint8Array, at: number, len: number, offset: number): void {
  let done = 0;
  while (done < len) {
    const n = readSync(fd, view, at + done, Math.min(len - done, 1 << 30), offset + done);
    if (n === 0) break;
    done += n;
  }
  view.fill(0, at + done, at + len);
}

/** The path of `name` inside the directory a descriptor we hold refers to. */
function beneath(dirfd: number, name: string): string {
  return `/proc/self/fd/${dirfd}/${name}`;
}

/** Writes all of view[at, at+len) to the file at `offset` (writeSync may write less than asked). */
function writeAll(fd: number, view: Uint8Array, at: number, len: number, offset: number): void {
  let done = 0;
  while (done < len) done += writeSync(fd, view, at + done, Math.min(len - done, 1 << 30), offset + done);
}

/**
 * Calls `run(from, to)` for every maximal run of bytes in [from, to) of a mapping where the
 * memory (view at `start`) differs from its shadow: only those bytes are written back, so that
 * bytes another writer changed in the same page are never overwritten with stale ones. Pages
 * that did not change are skipped with one memcmp; changed ones are scanned a word at a time.
 */
function forEachChangedRun(view: Uint8Array, start: number, shadow: Uint8Array, from: number, to: number, run: (from: number, to: number) => void): void {
  // start, from, to and the views' offsets are multiples of the page size, so word views align.
  const now = new Int32Array(view.buffer, view.byteOffset + start, shadow.length >> 2);
  const before = new Int32Array(shadow.buffer, shadow.byteOffset, shadow.length >> 2);
  let open = -1; // start of the run in progress
  for (let page = from; page < to; page += PAGE) {
    if (Buffer.compare(view.subarray(start + page, start + page + PAGE), shadow.subarray(page, page + PAGE)) === 0) {
      if (open >= 0) run(open, page);
      open = -1;
      continue;
    }
    for (let w = page >> 2, end = (page + PAGE) >> 2; w < end; w++) {
      if (now[w] === before[w]) {
        if (open >= 0) run(open, w << 2);
        open = -1;
        continue;
      }
      for (let i = w << 2; i < (w + 1) << 2; i++) {
        if (view[start + i] !== shadow[i]) {
          if (open < 0) open = i;
        } else if (open >= 0) {
          run(open, i);
          open = -1;
        }
      }
    }
  }
  if (open >= 0) run(open, to);
}

/** The O_ACCMODE of a descriptor, found without fcntl: a zero-length write fails on a read-only one. */
function accessMode(fd: number): number {
  let writable = true;
  let readable = true;
  try {
    writeSync(fd, new Uint8Array(0), 0, 0, 0);
  } catch {
    writable = false;
  }
  try {
    readSync(fd, new Uint8Array(1), 0, 1, 0);
  } catch {
    readable = false;
  }
  return writable ? (readable ? O_RDWR : O_WRONLY) : O_RDONLY;
}

export class EmulatedBackend implements Backend {
  readonly name = "emulated" as const;
  readonly needsWriteBackAtExit = true;
  readonly #shared = new Map<number, SharedMapping>();
  /** Descriptors of the preopened directories. */
  readonly #directories = new Set<number>();

  pageSize(): number {
    return PAGE;
  }

  memoryBase(): number {
    return 0; // nothing is mapped at an address, so nothing depends on the base
  }

  fileInfo(fd: number): [number, number] | number {
    return tryCall((): [number, number] | number => {
      const st = fstatSync(fd);
      if (!st.isFile()) return -osErrno.ENODEV;
      return [st.size, accessMode(fd)];
    });
  }

  fileSize(fd: number): number {
    return tryCall((): number => {
      const st = fstatSync(fd);
      return st.isFile() ? st.size : -osErrno.ENODEV;
    });
  }

  map(view: Uint8Array, addr: number, len: number, fd: number, fileOffset: number, flags: number): number {
    const info = this.fileInfo(fd);
    if (typeof info === "number") return info;
    const [size, access] = info;
    // What mmap refuses: a descriptor not open for reading, a shared map of one not open read-write.
    if (access === O_WRONLY || (flags & MAP_FLAG_SHARED && access !== O_RDWR)) return -osErrno.EACCES;
    // Pages wholly past the end of the file (which a real map would fault on).
    if (fileOffset + len > Math.ceil(size / PAGE) * PAGE) return -osErrno.ERANGE;
    return tryCall((): number => {
      readInto(fd, view, addr, len, fileOffset); // a copy is populated anyway
      if (flags & MAP_FLAG_SHARED) {
        const own = openSync(`/dev/fd/${fd}`, "r+");
        this.#shared.set(addr, { fd: own, fileOffset, shadow: view.slice(addr, addr + len) });
      }
      return 0;
    });
  }

  advise(): number {
    return 0; // nothing to advise about a copy
  }

  truncated(): number {
    return 0; // a copy cannot fault
  }

  unmap(view: Uint8Array, addr: number, len: number): number {
    const mapping = this.#shared.get(addr);
    const rc = mapping ? this.sync(view, addr, len, true) : 0;
    if (mapping) {
      tryCall(() => closeSync(mapping.fd)); // never throws: unmap also runs in a finalizer
      this.#shared.delete(addr);
    }
    view.fill(0, addr, addr + len);
    return rc;
  }

  sync(view: Uint8Array, addr: number, len: number, async: boolean): number {
    // The host has checked that [addr, addr+len) lies inside one mapping; unmap and flush pass a
    // whole one, so the direct lookup is the common case.
    let start = addr;
    let mapping = this.#shared.get(addr);
    if (!mapping) {
      for (const [at, m] of this.#shared) {
        if (at <= addr && addr + len <= at + m.shadow.length) {
          start = at;
          mapping = m;
        }
      }
    }
    if (!mapping) return 0; // a private mapping has nothing to write
    const { fd, fileOffset, shadow } = mapping;
    return tryCall(() => {
      // Only bytes inside the file: a mapping's tail past the end never extends it.
      const limit = fstatSync(fd).size - fileOffset;
      forEachChangedRun(view, start, shadow, addr - start, addr - start + len, (from, to) => {
        if (from < limit) writeAll(fd, view, start + from, Math.min(to, limit) - from, fileOffset + from);
        shadow.set(view.subarray(start + from, start + to), from);
      });
      if (!async) fdatasyncSync(fd);
      return 0;
    });
  }

  nextData(_fd: number, offset: number): number {
    return offset; // no SEEK_DATA through node:fs: every byte counts as data
  }

  /**
   * Opens `path` beneath a preopened directory one component at a time, each beneath a
   * descriptor we hold (`/proc/self/fd/N/name` with O_NOFOLLOW: the kernel resolves the magic
   * link to the directory itself, whatever its path has become, then exactly one name in it).
   * No "..", no symlink anywhere: a symlink is ELOOP. Replacing the preopened folder, or any
   * folder on the way, by a symlink cannot lead out, even mid-walk.
   */
  openBeneath(dirfd: number, path: string, mode: number): number {
    if (!this.#directories.has(dirfd)) return -osErrno.EBADF;
    const flags = OPEN_FLAGS.get(mode);
    if (flags === undefined || path.includes("\0")) return -osErrno.EINVAL;
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.length === 0) return -osErrno.EISDIR;
    if (parts.includes("..")) return -osErrno.EXDEV;
    let parent = dirfd;
    const result = tryCall(() => {
      for (const part of parts.slice(0, -1)) {
        const next = tryCall(() => openSync(beneath(parent, part), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
        // O_DIRECTORY answers ENOTDIR for a symlink too: tell them apart for the error (only).
        if (next === -osErrno.ENOTDIR && tryCall(() => lstatSync(beneath(parent, part)).isSymbolicLink()) === true) return -osErrno.ELOOP;
        if (next < 0) return next;
        if (parent !== dirfd) closeSync(parent);
        parent = next;
      }
      const fd = openSync(beneath(parent, parts[parts.length - 1]), flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
      const st = fstatSync(fd);
      if (!st.isFile()) {
        closeSync(fd);
        return st.isDirectory() ? -osErrno.EISDIR : -osErrno.ENODEV;
      }
      return fd;
    });
    if (parent !== dirfd) closeSync(parent);
    return result;
  }

  /** A descriptor of a directory for a preopen; refused where /proc/self/fd cannot resolve beneath it. */
  openDirectory(path: string): number {
    return tryCall(() => {
      const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
      const held = fstatSync(fd);
      const seen = tryCall(() => statSync(`/proc/self/fd/${fd}`));
      if (typeof seen === "number" || seen.ino !== held.ino || seen.dev !== held.dev) {
        closeSync(fd);
        return -osErrno.ENOSYS; // no /proc: paths could only be resolved by string, which a swap defeats
      }
      this.#directories.add(fd);
      return fd;
    });
  }

  closeFd(fd: number): number {
    this.#directories.delete(fd);
    return tryCall(() => {
      closeSync(fd);
      return 0;
    });
  }
}

export function emulatedBackend(): EmulatedBackend {
  return new EmulatedBackend();
}
