// `mmf copy`: a file copied through two regions (the Go package's own example), one window at a
// time, so files larger than the 4 GiB Wasm address space copy too.
//
// It validates before it destroys and checks after it copies. The source must be a regular file
// whose size is its content (not a folder, device, FIFO, socket or procfs/sysfs file); it is opened
// non-blocking, so a FIFO cannot hang the copy. The bytes go to a temporary file beside the
// destination, which replaces the destination (keeping its mode) only once the copy checked out:
// no region took a fault (a source truncated under it, a destination out of space or failing),
// the source kept its size, and fsync succeeded. Otherwise the temporary file is removed and the
// destination is untouched.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  realpathSync,
  renameSync,
  statfsSync,
  statSync,
  unlinkSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { codeFromErrno, errorFromCode, errorFromNodeError, MmfError } from "./errors.js";
import { MappedFile } from "./mapped-file.js";
import type { MemoryRegion } from "./memory-region.js";
import { coreOf, MEM_READ_ONLY, MEM_READWRITE, type Mmf } from "./mmf.js";
import type { CoreInstance } from "./core-module.js";
import { backendOf } from "./mmf-host.js";

export interface CopyOptions {
  /** Bytes mapped at a time from each file; a multiple of the page size. Default 256 MiB. */
  windowBytes?: number;
  /** Called after every window. */
  onProgress?: (copied: number, total: number) => void;
}

export interface CopyResult {
  bytes: number;
  /** Bytes actually written: zero chunks and holes of the source are skipped. */
  written: number;
  windows: number;
  seconds: number;
}

export const DEFAULT_WINDOW = 256 * 1024 * 1024;

// File systems whose regular files have a size that says nothing of their content (statfs f_type).
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, "procfs"],
  [0x62656572, "sysfs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x73636673, "securityfs"],
  [0x62656570, "configfs"],
]);

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Opens the source read-only and non-blocking, and refuses anything but a real regular file. */
function openSource(src: string): MappedFile {
  let fd: number;
  try {
    fd = openSync(src, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    // A socket cannot be opened at all (ENXIO): say what it is.
    const st = statSync(src, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw new MmfError("EINVAL", `copy: source ${src} is ${kindOf(st)}, not a regular file`);
    throw errorFromNodeError(`copy: source ${src}`, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new MmfError("EINVAL", `copy: source ${src} is ${kindOf(st)}, not a regular file`);
    const pseudo = fileSystemOf(fd);
    if (pseudo) throw new MmfError("EINVAL", `copy: source ${src} is a ${pseudo} file, whose size is not its content`);
    return new MappedFile(fd, src);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The name of the pseudo file system the descriptor's file lives on, or undefined. */
function fileSystemOf(fd: number): string | undefined {
  try {
    return PSEUDO_FILE_SYSTEMS.get(Number(statfsSync(`/proc/self/fd/${fd}`).type));
  } catch {
    return undefined; // no /proc: nothing to tell
  }
}

/** Where the copy lands (a symlink's target, not the link) and the mode to keep, if it exists. */
function destinationOf(dst: string, source: Stats): { path: string; mode: number | undefined } {
  const st = statSync(dst, { throwIfNoEntry: false });
  if (!st) return { path: dst, mode: undefined };
  if (!st.isFile()) throw new MmfError("EINVAL", `copy: destination ${dst} is ${kindOf(st)}, not a regular file`);
  if (st.dev === source.dev && st.ino === source.ino) throw errorFromCode(`copy ${dst}`, -1, "source and destination are the same file");
  return { path: realpathSync(dst), mode: st.mode & 0o7777 };
}

/** A new, empty file beside `path`, for writing the copy. */
function createTemporary(path: string, mode: number | undefined): MappedFile {
  const temporary = join(dirname(path), `.${basename(path)}.mmf-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(temporary, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o666);
  } catch (err) {
    throw errorFromNodeError(`copy: cannot create a temporary file beside ${path}`, err);
  }
  try {
    if (mode !== undefined) fchmodSync(fd, mode);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temporary);
    throw errorFromNodeError(`copy: ${temporary}`, err);
  }
  return new MappedFile(fd, temporary);
}

/** An MmfError with `prefix` before its message (other errors pass through). */
function within(prefix: string, err: unknown): unknown {
  return err instanceof MmfError ? new MmfError(err.code, `${prefix}: ${err.message.replace(/ \(E[A-Z]+\)$/, "")}`) : err;
}

/**
 * Copies src's bytes into dst, which must hold zeros (a freshly sized file), in Wasm, skipping
 * zero 4 KiB chunks so a sparse source stays sparse. Returns the bytes written.
 */
function copyIntoZeroed({ memory, exports }: CoreInstance, dst: Uint8Array, src: Uint8Array): number {
  // After a grow the memory's buffer is a new object, so views of it are checked by range.
  const limit = memory.buffer.byteLength;
  if (dst.byteLength < src.byteLength || dst.byteOffset + dst.byteLength > limit || src.byteOffset + src.byteLength > limit) {
    throw new MmfError("EINVAL", "copyIntoZeroed: views of this instance's memory, dst at least as long as src");
  }
  return exports.copy_into_zeroed(dst.byteOffset, src.byteOffset, src.byteLength);
}

/** Closes both regions; throws the first error, naming the file, once both are closed. */
function closeWindow(from: MemoryRegion, to: MemoryRegion | undefined, src: string, dst: string): void {
  let first: unknown;
  for (const [region, what] of [
    [from, `source ${src} (changed during the copy?)`],
    [to, `destination ${dst}`],
  ] as const) {
    try {
      region?.close();
    } catch (err) {
      first ??= within(`copy: ${what}`, err);
    }
  }
  if (first) throw first;
}

export function copyFile(mmf: Mmf, src: string, dst: string, options: CopyOptions = {}): CopyResult {
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW;
  if (!Number.isSafeInteger(windowBytes) || windowBytes <= 0 || windowBytes % mmf.pageSize !== 0) {
    throw errorFromCode("copy", -1, `window must be a positive multiple of the page size ${mmf.pageSize}, got ${windowBytes}`);
  }
  const core = coreOf(mmf);
  const backend = backendOf(core.host);
  const started = process.hrtime.bigint();
  const source = openSource(src);
  try {
    const sourceStats = fstatSync(source.fd());
    const total = sourceStats.size;
    const { path, mode } = destinationOf(dst, sourceStats);
    const target = createTemporary(path, mode);
    let written = 0;
    let windows = 0;
    let done = false;
    try {
      ftruncateSync(target.fd(), total);
      for (let offset = 0; offset < total; offset += windowBytes) {
        const length = Math.min(windowBytes, total - offset);
        const dataAt = backend.nextData(source.fd(), offset);
        if (dataAt < 0) throw errorFromCode(`copy: source ${src}`, codeFromErrno(dataAt));
        if (dataAt < offset + length) {
          let from: MemoryRegion;
          try {
            from = mmf.newMemoryRegion(source, MEM_READ_ONLY, offset, length);
          } catch (err) {
            throw within(`copy: source ${src} changed during the copy`, err);
          }
          let to: MemoryRegion | undefined;
          try {
            to = mmf.newMemoryRegion(target, MEM_READWRITE, offset, length);
            written += copyIntoZeroed(core, to.data(), from.data());
            windows++;
          } finally {
            closeWindow(from, to, src, dst); // a fault in either region is thrown here
          }
        }
        options.onProgress?.(offset + length, total);
      }
      const after = fstatSync(source.fd());
      if (after.size !== total) throw new MmfError("EIO", `copy: source ${src} changed size during the copy (${total} -> ${after.size} bytes)`);
      try {
        fsyncSync(target.fd());
      } catch (err) {
        throw errorFromNodeError(`copy: writing ${dst}`, err);
      }
      target.close();
      renameSync(target.path, path);
      done = true;
      syncDirectory(dirname(path));
    } finally {
      if (!done) {
        target.close();
        try {
          unlinkSync(target.path);
        } catch {
          // gone already
        }
      }
    }
    return { bytes: total, written, windows, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    source.close();
  }
}

/** Makes a rename durable where the file system allows (best effort: some refuse fsync of a folder). */
function syncDirectory(path: string): void {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // the copy itself is complete and in place
  }
}
