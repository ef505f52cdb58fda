// `mmf copy`: a file copied through two regions (the Go package's own example), one window at a
// time, so files larger than the 4 GiB Wasm address space copy too.
import { fstatSync, fsyncSync, ftruncateSync, statSync } from "node:fs";
import { codeFromErrno, errorFromCode } from "./errors.js";
import { openFile } from "./mapped-file.js";
import { MEM_READ_ONLY, MEM_READWRITE, type Mmf } from "./mmf.js";

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

/** Whether `path` names the file open as `fd` (opening it "w+" would truncate the source). */
function sameFile(fd: number, path: string): boolean {
  const a = fstatSync(fd);
  const b = statSync(path, { throwIfNoEntry: false });
  return b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

export function copyFile(mmf: Mmf, src: string, dst: string, options: CopyOptions = {}): CopyResult {
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW;
  if (!Number.isSafeInteger(windowBytes) || windowBytes <= 0 || windowBytes % mmf.pageSize !== 0) {
    throw errorFromCode("copy", -1, `window must be a positive multiple of the page size ${mmf.pageSize}, got ${windowBytes}`);
  }
  const started = process.hrtime.bigint();
  const source = openFile(src, "r");
  try {
    const total = source.size();
    if (sameFile(source.fd(), dst)) throw errorFromCode(`copy ${src} ${dst}`, -1, "source and destination are the same file");
    const target = openFile(dst, "w+");
    let written = 0;
    let windows = 0;
    try {
      ftruncateSync(target.fd(), total);
      for (let offset = 0; offset < total; offset += windowBytes) {
        const length = Math.min(windowBytes, total - offset);
        const dataAt = mmf.nextData(source.fd(), offset);
        if (dataAt < 0) throw errorFromCode(`copy ${src}`, codeFromErrno(dataAt));
        if (dataAt < offset + length) {
          const from = mmf.newMemoryRegion(source, MEM_READ_ONLY, offset, length);
          const to = mmf.newMemoryRegion(target, MEM_READWRITE, offset, length);
          try {
            written += mmf.copyIntoZeroed(to.data(), from.data());
            windows++;
          } finally {
            from.close();
            to.close();
          }
        }
        options.onProgress?.(offset + length, total);
      }
      fsyncSync(target.fd());
    } finally {
      target.close();
    }
    return { bytes: total, written, windows, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    source.close();
  }
}
