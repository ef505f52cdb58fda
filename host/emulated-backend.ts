// The emulated backend: no mmap. A "mapping" copies the file's bytes into the Wasm memory; a
// shared one keeps a copy of what it read and writes back, at flush and unmap, only the pages
// that differ from it. For Node machines where the native helper could not be built.
import {
  closeSync, constants, fdatasyncSync, fstatSync, lstatSync, openSync, readSync, writeSync,
} from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import type { Backend } from "./backend.js";
import { MAP_FLAG_SHARED } from "./map-flags.js";

const PAGE = 4096;
// Access modes as fileInfo reports them (the native helper's F_GETFL & O_ACCMODE).
const { O_RDONLY, O_WRONLY, O_RDWR } = constants;

interface SharedMapping {
  /** A descriptor of our own: the caller may close theirs while the region lives. */
  fd: number;
  fileOffset: number;
  /** The bytes as last read or written back, to find the pages that changed. */
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
  readonly #shared = new Map<number, SharedMapping>();
  readonly #directories = new Map<number, string>();

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

  map(view: Uint8Array, addr: number, len: number, fd: number, fileOffset: number, flags: number): number {
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
      closeSync(mapping.fd);
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
      const fileSize = fstatSync(fd).size;
      for (let page = addr - start; page < addr - start + len; page += PAGE) {
        const now = view.subarray(start + page, start + page + PAGE);
        const before = shadow.subarray(page, page + PAGE);
        if (Buffer.compare(now, before) === 0) continue;
        // Only bytes inside the file: a mapping's tail past the end never extends it.
        const n = Math.max(0, Math.min(PAGE, fileSize - (fileOffset + page)));
        if (n > 0) writeSync(fd, now, 0, n, fileOffset + page);
        before.set(now);
      }
      if (!async) fdatasyncSync(fd);
      return 0;
    });
  }

  nextData(_fd: number, offset: number): number {
    return offset; // no SEEK_DATA through node:fs: every byte counts as data
  }

  /**
   * Opens `path` beneath a directory by checking each component with lstat (no "..", no symlink)
   * and opening the last one with O_NOFOLLOW. Unlike openat2, this is racy against a concurrent
   * swap of a component for a symlink.
   */
  openBeneath(dirfd: number, path: string, mode: number): number {
    const base = this.#directories.get(dirfd);
    if (base === undefined) return -osErrno.EBADF;
    const flags = [constants.O_RDONLY, constants.O_RDWR, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC][mode];
    if (flags === undefined || path.includes("\0")) return -osErrno.EINVAL;
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.length === 0) return -osErrno.EISDIR;
    if (parts.includes("..")) return -osErrno.EXDEV;
    return tryCall(() => {
      for (let i = 0; i < parts.length - 1; i++) {
        const st = lstatSync(join(base, ...parts.slice(0, i + 1)));
        if (st.isSymbolicLink()) return -osErrno.ELOOP;
        if (!st.isDirectory()) return -osErrno.ENOTDIR;
      }
      const fd = openSync(join(base, ...parts), flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
      const st = fstatSync(fd);
      if (!st.isFile()) {
        closeSync(fd);
        return st.isDirectory() ? -osErrno.EISDIR : -osErrno.ENODEV;
      }
      return fd;
    });
  }

  openDirectory(path: string): number {
    return tryCall(() => {
      const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
      this.#directories.set(fd, path);
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
