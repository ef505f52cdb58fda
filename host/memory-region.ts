// MemoryRegion: a window of a file mapped into a Wasm memory. The bounds, mode and position
// logic is the core Wasm module's; this class holds the id it returned and a view of the bytes.
import { ADVICE_BY_NAME, type Advice } from "./abi.js";
import { takeLive, type CoreExports, type CoreInstance } from "./core-module.js";
import { errorFromCode, ErrorCodes, MmfError, throwIfNegative } from "./errors.js";
import type { RegionMode } from "./mmf.js";
import { checkedFd, type Mappable } from "./mapped-file.js";
import { fstatSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { regionStream, type RegionStreamOptions } from "./region-stream.js";

export type { Advice };

/** What MemoryRegion.residency() answers: pages of the region (whole pages, as mapped). */
export interface Residency {
  /** Pages in memory now. */
  resident: number;
  /** Pages of the region. */
  total: number;
  /** With `{ pages: true }`: one byte per page, 1 resident, 0 not (a copy). */
  pages?: Uint8Array;
}

/** The view of a closed region (one for all: close() allocates nothing). */
const EMPTY = new Uint8Array(0);

interface Held {
  core: CoreInstance;
  id: number;
}

/** Closes region `id` of `core` unless Mmf.close() closed it already; the core's answer, or 0. */
function closeRegion(core: CoreInstance, id: number): number {
  return takeLive(core, id) ? core.exports.region_close(id) : 0;
}

// Regions that become unreachable without close() are unmapped here; close() stays the rule.
const collector = new FinalizationRegistry<Held>(({ core, id }) => closeRegion(core, id));

export class MemoryRegion {
  /** The core instance that mapped the region; undefined once closed. */
  #core: CoreInstance | undefined;
  /** Its exports, for the calls of every read and write (one load fewer). */
  readonly #exports: CoreExports;
  readonly #id: number;
  #view: Uint8Array;
  readonly #mode: RegionMode;
  /** The instance's epoch word, and its value when span() last allowed a copy (see copied()). */
  readonly #epoch: Int32Array;
  #epochAtSpan = 0;
  /** Where the region comes from, which remap() measures the file's size with (two fields: no object allocated per map). */
  readonly #object: Mappable | undefined;
  /** The region's byte offset in #object. */
  readonly #offset: number;

  /** @internal Regions are made by newMemoryRegion. */
  constructor(core: CoreInstance, id: number, view: Uint8Array, mode: RegionMode, object?: Mappable, offset = 0) {
    this.#core = core;
    this.#object = object;
    this.#offset = offset;
    this.#exports = core.exports;
    this.#id = id;
    this.#view = view;
    this.#mode = mode;
    this.#epoch = core.epochWord;
    collector.register(this, { core, id }, this);
  }

  /** The region's core instance; ECLOSED once the region is closed. */
  #checkOpen(operation: string): CoreInstance {
    const core = this.#core;
    if (!core) throw new MmfError("ECLOSED", `${operation}: the region is closed`);
    return core;
  }

  /**
   * The mapped bytes: a zero-copy Uint8Array whose buffer is the Wasm memory's. It stays valid
   * until this region closes; keep the region reachable while you use it (useMemoryRegion).
   */
  data(): Uint8Array {
    this.#checkOpen("MemoryRegion.data");
    throwIfNegative("MemoryRegion.data", this.#exports.region_check(this.#id));
    return this.#view;
  }

  /** @internal The view, for readers and writers after span() has checked the region. */
  view(): Uint8Array {
    return this.#view;
  }

  /** Size in bytes; 0 once closed. */
  size(): number {
    return this.#core ? this.#view.byteLength : 0;
  }

  /** The MEM_* mode the region was mapped with. */
  mode(): RegionMode {
    return this.#mode;
  }

  /** Writes changes of a MEM_READWRITE region to the file: msync MS_SYNC, or MS_ASYNC when `async`. */
  flush(async = false): void {
    this.#checkOpen("MemoryRegion.flush");
    if (typeof async !== "boolean") throw new MmfError("EINVAL", `MemoryRegion.flush: async must be a boolean, got ${describe(async)}`);
    throwIfNegative("MemoryRegion.flush", this.#exports.region_flush(this.#id, async ? 1 : 0));
  }

  /**
   * Writes the changed pages that hold [offset, offset+length) of a MEM_READWRITE region to the
   * file (memmap2's flush_range): msync of just those pages.
   */
  flushRange(offset: number | bigint, length: number | bigint, async = false): void {
    this.#checkOpen("MemoryRegion.flushRange");
    if (typeof async !== "boolean") throw new MmfError("EINVAL", `MemoryRegion.flushRange: async must be a boolean, got ${describe(async)}`);
    const rc = this.#exports.region_flush_range(this.#id, toNumber(offset), toNumber(length), async ? 1 : 0);
    throwIfNegative(`MemoryRegion.flushRange(${offset}, ${length})`, rc);
  }

  /** Tells the kernel how the region will be used (madvise): "random", "sequential", "willneed", "hugepage", "normal". */
  advise(advice: Advice): void {
    this.#checkOpen("MemoryRegion.advise");
    if (typeof advice !== "string" || !Object.hasOwn(ADVICE_BY_NAME, advice)) {
      throw new MmfError("EINVAL", `MemoryRegion.advise: advice must be one of ${Object.keys(ADVICE_BY_NAME).join(", ")}, got ${String(advice)}`);
    }
    throwIfNegative(`MemoryRegion.advise(${advice})`, this.#exports.region_advise(this.#id, ADVICE_BY_NAME[advice]));
  }

  /**
   * Locks the region's pages in memory (mlock, memmap2's lock): they are read in now and no access
   * waits for the disk until unlock() or close(). ENOMEM (or EACCES when the limit is 0) when the
   * process's RLIMIT_MEMLOCK refuses, the message saying the limit; ENOTSUP on the emulated backend.
   */
  lock(): void {
    this.#lockOrUnlock(true);
  }

  /** Unlocks the region's pages (munlock); close() unlocks them too. */
  unlock(): void {
    this.#lockOrUnlock(false);
  }

  #lockOrUnlock(lock: boolean): void {
    const operation = lock ? "MemoryRegion.lock" : "MemoryRegion.unlock";
    const core = this.#checkOpen(operation);
    const rc = this.#exports.region_lock(this.#id, lock ? 1 : 0);
    if (rc < 0)
      throw errorFromCode(
        operation,
        rc,
        refusalDetail(-rc, core.host.backend, () => memlockDetail(this.#view.byteLength)),
      );
  }

  /**
   * How many of the region's pages are in memory now (mincore; mmap-io's incore), of how many, and
   * with `{ pages: true }` which ones. ENOTSUP on the emulated backend.
   */
  residency(options: { pages?: boolean } = {}): Residency {
    const core = this.#checkOpen("MemoryRegion.residency");
    const pages = options?.pages;
    if (pages !== undefined && typeof pages !== "boolean")
      throw new MmfError("EINVAL", `MemoryRegion.residency: pages must be a boolean, got ${describe(pages)}`);
    const rc = this.#exports.region_residency(this.#id, pages ? 1 : 0);
    if (rc < 0) throw errorFromCode("MemoryRegion.residency", rc, refusalDetail(-rc, core.host.backend));
    const result: Residency = { resident: rc, total: this.#exports.region_pages(this.#id) };
    if (pages) result.pages = new Uint8Array(core.memory.buffer, this.#exports.residency_map() >>> 0, result.total).slice();
    return result;
  }

  /**
   * Resizes the region to `newSize` bytes from the same offset (memmap2's remap, Python's resize),
   * for a file that grew (or to shrink it), and returns the region. It grows in place when the pages
   * after it are free, else it moves. Views taken before (data(), view.buffer offsets) are stale
   * either way: call data() again. After a move an old view shows zeros, or later another region's
   * bytes. ERANGE past the end of the file; private changes of a MEM_COPY_ON_WRITE region are kept.
   */
  remap(newSize: number | bigint): this {
    const operation = `MemoryRegion.remap(${describe(newSize)})`;
    const core = this.#checkOpen(operation);
    if (!this.#object) throw new MmfError("ENOTSUP", `${operation}: the region was not made by newMemoryRegion`);
    const fd = checkedFd(() => operation, this.#object.fd());
    let fileSize: number;
    try {
      fileSize = fstatSync(fd).size;
    } catch {
      throw new MmfError("EBADF", `${operation}: the region's file descriptor ${fd} is not open`);
    }
    const room = Math.max(fileSize - this.#offset, 0);
    const rc = this.#exports.region_remap(this.#id, toNumber(newSize), room);
    if (rc < 0) {
      const detail =
        -rc === ErrorCodes.ERANGE
          ? `the file holds ${room} bytes from the region's offset ${this.#offset}`
          : -rc === ErrorCodes.EINVAL
            ? "newSize must be an integer from 1 to the file's end (an empty region cannot grow: map a new one)"
            : refusalDetail(-rc, core.host.backend);
      throw errorFromCode(operation, rc, detail);
    }
    this.#view = new Uint8Array(core.memory.buffer, this.#exports.region_address(this.#id) >>> 0, this.#exports.region_size(this.#id) >>> 0);
    return this;
  }

  /**
   * A Readable of the region's bytes (copies, chunkSize at a time), for piping to a file or socket.
   * The region stays mapped until the stream ends; close it after (`closeRegion: true` does).
   * Writing data() itself to a stream and closing the region at once writes zeros: the write
   * happens later, after close() unmapped the pages.
   */
  stream(options: RegionStreamOptions = {}): Readable {
    this.#checkOpen("MemoryRegion.stream");
    throwIfNegative("MemoryRegion.stream", this.#exports.region_check(this.#id));
    return regionStream(this, options);
  }

  /**
   * Unmaps the region; its memory is reused by later regions. Idempotent. If the region took a
   * fault (ETRUNCATED, ENOSPC, EIO), it is unmapped all the same and the fault is thrown: bytes
   * written through data() may not have reached the file.
   */
  close(): void {
    const core = this.#core;
    if (!core) return;
    this.#core = undefined;
    this.#view = EMPTY;
    collector.unregister(this);
    throwIfNegative("MemoryRegion.close", closeRegion(core, this.#id));
  }

  /** close(), for `using region = newMemoryRegion(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal How many bytes of `length` at `offset` a read or write may touch (throws MmfError). */
  span(operation: string, offset: number | bigint, length: number, write: boolean): number {
    this.#checkOpen(operation);
    const n = throwIfNegative(operation, this.#exports.region_span(this.#id, toNumber(offset), length, write ? 1 : 0));
    this.#epochAtSpan = this.#epoch[0];
    return n;
  }

  /**
   * @internal Call after copying the bytes span() allowed: returns `n`, or throws the region's
   * fault if one came during the copy (written bytes may not have reached the file; read bytes are
   * zeros the file does not hold). One load when nothing faulted.
   */
  copied(operation: string, n: number): number {
    if (this.#epoch[0] !== this.#epochAtSpan && this.#core) throwIfNegative(operation, this.#exports.region_check(this.#id));
    return n;
  }

  /** @internal Go's Seek arithmetic for a cursor at `position`. */
  seek(operation: string, position: number, offset: number | bigint, whence: number): number {
    this.#checkOpen(operation);
    // Checked here, not by the core module, which reads an i32: 2^32 would arrive as 0.
    if (whence !== 0 && whence !== 1 && whence !== 2) throw errorFromCode(operation, -1, `whence must be 0, 1 or 2, got ${describe(whence)}`);
    return throwIfNegative(operation, this.#exports.region_seek(this.#id, position, toNumber(offset), whence));
  }
}

/** Why a backend refused (ENOTSUP), for the message. */
function refusalDetail(code: number, backend: string, other?: () => string | undefined): string | undefined {
  if (code === ErrorCodes.ENOTSUP) return `the ${backend} backend cannot do this (it copies the file instead of mapping it)`;
  return code === ErrorCodes.ENOMEM || code === ErrorCodes.EACCES ? other?.() : undefined;
}

/** The process's RLIMIT_MEMLOCK, for a refused lock's message. */
function memlockDetail(bytes: number): string {
  let limit = "unknown";
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max locked memory"));
    if (line) limit = line.split(/\s{2,}/)[1] ?? limit;
  } catch {
    // not Linux's procfs: say so in the message
  }
  return `RLIMIT_MEMLOCK refused locking ${bytes} bytes: its soft limit is ${limit} bytes (ulimit -l; CAP_IPC_LOCK lifts it)`;
}

function describe(value: unknown): string {
  return typeof value === "bigint" ? `${value}n` : typeof value === "number" ? String(value) : `a ${typeof value}`;
}

/** Offsets may be bigints; inside a region (< 4 GiB) a number holds them exactly. */
function toNumber(value: number | bigint): number {
  return typeof value === "bigint" ? Number(value) : typeof value === "number" ? value : NaN;
}

/**
 * Keeps `region` reachable up to this call, as Go's UseMemoryRegion: call it after the last use
 * of a view from data(), so the collector cannot unmap the region while the view is in use.
 */
export function useMemoryRegion(region: MemoryRegion): void {
  keepAlive.add(region);
  keepAlive.delete(region);
}
const keepAlive = new WeakSet<MemoryRegion>();
