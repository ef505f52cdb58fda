// MemoryRegion: a window of a file mapped into a Wasm memory. The bounds, mode and position
// logic is the core Wasm module's; this class holds the id it returned and a view of the bytes.
import { errorFromCode, MmfError } from "./errors.js";
import type { RegionMode } from "./mmf.js";
import type { Readable } from "node:stream";
import { regionStream, type RegionStreamOptions } from "./region-stream.js";

/** What a region needs from the instance that mapped it. */
export interface RegionOwner {
  /** Calls a core function for region `id`; a negative result is thrown as MmfError. */
  checked(operation: string, result: number): number;
  spanOf(id: number, offset: number, length: number, write: boolean): number;
  seekOf(id: number, position: number, offset: number, whence: number): number;
  flushOf(id: number, async: boolean): number;
  closeOf(id: number): number;
  checkOf(id: number): number;
  flushRangeOf(id: number, offset: number, length: number, async: boolean): number;
  adviseOf(id: number, advice: number): number;
  /** A view of the word of the memory that moves whenever one of its mappings faults. */
  readonly epochWord: Int32Array;
}

/** madvise advice for MemoryRegion.advise; none of them changes the contents. */
export type Advice = "normal" | "random" | "sequential" | "willneed" | "hugepage";
const ADVICE: readonly Advice[] = ["normal", "random", "sequential", "willneed", "hugepage"];

/** The view of a closed region (one for all: close() allocates nothing). */
const EMPTY = new Uint8Array(0);

interface Held {
  owner: RegionOwner;
  id: number;
}

// Regions that become unreachable without close() are unmapped here; close() stays the rule.
const collector = new FinalizationRegistry<Held>(({ owner, id }) => {
  owner.closeOf(id);
});

export class MemoryRegion {
  #owner: RegionOwner | undefined;
  readonly #id: number;
  #view: Uint8Array;
  readonly #mode: RegionMode;
  /** The owner's epoch word, and its value when span() last allowed a copy (see copied()). */
  readonly #epoch: Int32Array;
  #epochAtSpan = 0;

  /** @internal Regions are made by newMemoryRegion. */
  constructor(owner: RegionOwner, id: number, view: Uint8Array, mode: RegionMode) {
    this.#owner = owner;
    this.#id = id;
    this.#view = view;
    this.#mode = mode;
    this.#epoch = owner.epochWord;
    collector.register(this, { owner, id }, this);
  }

  #live(operation: string): RegionOwner {
    if (!this.#owner) throw new MmfError("ECLOSED", `${operation}: the region is closed`);
    return this.#owner;
  }

  /**
   * The mapped bytes: a zero-copy Uint8Array whose buffer is the Wasm memory's. It stays valid
   * until this region closes; keep the region reachable while you use it (useMemoryRegion).
   */
  data(): Uint8Array {
    const owner = this.#live("MemoryRegion.data");
    owner.checked("MemoryRegion.data", owner.checkOf(this.#id));
    return this.#view;
  }

  /** @internal The view, for readers and writers after span() has checked the region. */
  view(): Uint8Array {
    return this.#view;
  }

  /** Size in bytes; 0 once closed. */
  size(): number {
    return this.#owner ? this.#view.byteLength : 0;
  }

  /** The MEM_* mode the region was mapped with. */
  mode(): RegionMode {
    return this.#mode;
  }

  /** Writes changes of a MEM_READWRITE region to the file: msync MS_SYNC, or MS_ASYNC when `async`. */
  flush(async = false): void {
    const owner = this.#live("MemoryRegion.flush");
    if (typeof async !== "boolean") throw new MmfError("EINVAL", `MemoryRegion.flush: async must be a boolean, got ${describe(async)}`);
    owner.checked("MemoryRegion.flush", owner.flushOf(this.#id, async));
  }

  /**
   * Writes the changed pages that hold [offset, offset+length) of a MEM_READWRITE region to the
   * file (memmap2's flush_range): msync of just those pages.
   */
  flushRange(offset: number | bigint, length: number | bigint, async = false): void {
    const owner = this.#live("MemoryRegion.flushRange");
    if (typeof async !== "boolean") throw new MmfError("EINVAL", `MemoryRegion.flushRange: async must be a boolean, got ${describe(async)}`);
    owner.checked(`MemoryRegion.flushRange(${offset}, ${length})`, owner.flushRangeOf(this.#id, toNumber(offset), toNumber(length), async));
  }

  /** Tells the kernel how the region will be used (madvise): "random", "sequential", "willneed", "hugepage", "normal". */
  advise(advice: Advice): void {
    const owner = this.#live("MemoryRegion.advise");
    const index = ADVICE.indexOf(advice);
    if (index < 0) throw new MmfError("EINVAL", `MemoryRegion.advise: advice must be one of ${ADVICE.join(", ")}, got ${String(advice)}`);
    owner.checked(`MemoryRegion.advise(${advice})`, owner.adviseOf(this.#id, index));
  }

  /**
   * A Readable of the region's bytes (copies, chunkSize at a time), for piping to a file or socket.
   * The region stays mapped until the stream ends; close it after (`closeRegion: true` does).
   * Writing data() itself to a stream and closing the region at once writes zeros: the write
   * happens later, after close() unmapped the pages.
   */
  stream(options: RegionStreamOptions = {}): Readable {
    const owner = this.#live("MemoryRegion.stream");
    owner.checked("MemoryRegion.stream", owner.checkOf(this.#id));
    return regionStream(this, options);
  }

  /**
   * Unmaps the region; its memory is reused by later regions. Idempotent. If the region took a
   * fault (ETRUNCATED, ENOSPC, EIO), it is unmapped all the same and the fault is thrown: bytes
   * written through data() may not have reached the file.
   */
  close(): void {
    const owner = this.#owner;
    if (!owner) return;
    this.#owner = undefined;
    this.#view = EMPTY;
    collector.unregister(this);
    owner.checked("MemoryRegion.close", owner.closeOf(this.#id));
  }

  /** close(), for `using region = newMemoryRegion(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal How many bytes of `length` at `offset` a read or write may touch (throws MmfError). */
  span(operation: string, offset: number | bigint, length: number, write: boolean): number {
    const owner = this.#live(operation);
    const n = owner.checked(operation, owner.spanOf(this.#id, toNumber(offset), length, write));
    this.#epochAtSpan = this.#epoch[0];
    return n;
  }

  /**
   * @internal Call after copying the bytes span() allowed: returns `n`, or throws the region's
   * fault if one came during the copy (written bytes may not have reached the file; read bytes are
   * zeros the file does not hold). One load when nothing faulted.
   */
  copied(operation: string, n: number): number {
    if (this.#epoch[0] !== this.#epochAtSpan && this.#owner) this.#owner.checked(operation, this.#owner.checkOf(this.#id));
    return n;
  }

  /** @internal Go's Seek arithmetic for a cursor at `position`. */
  seek(operation: string, position: number, offset: number | bigint, whence: number): number {
    const owner = this.#live(operation);
    // Checked here, not by the core module, which reads an i32: 2^32 would arrive as 0.
    if (whence !== 0 && whence !== 1 && whence !== 2) throw errorFromCode(operation, -1, `whence must be 0, 1 or 2, got ${describe(whence)}`);
    return owner.checked(operation, owner.seekOf(this.#id, position, toNumber(offset), whence));
  }
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
