// Mmf: one independent instance of the region logic (its own Wasm instance, memory and host).
import { fstatSync } from "node:fs";
import { instantiateCore, type CoreExports } from "./core-module.js";
import { errorFromCode, ErrorCodes, MmfError } from "./errors.js";
import { MemoryRegion, type RegionOwner } from "./memory-region.js";
import { checkedFd, type Mappable } from "./mapped-file.js";
import type { MmfHost } from "./mmf-host.js";
import type { BackendName, BackendOption } from "./backend.js";
import type { WasmMemory } from "./wasm-types.js";

export const MEM_READ_ONLY = 0x1;
export const MEM_READ_PRIVATE = 0x2;
export const MEM_READWRITE = 0x4;
export const MEM_COPY_ON_WRITE = 0x8;

/** A region's mode: one of the MEM_* constants. */
export type RegionMode = typeof MEM_READ_ONLY | typeof MEM_READ_PRIVATE | typeof MEM_READWRITE | typeof MEM_COPY_ON_WRITE;

const MODE_NAMES: Record<number, string> = {
  [MEM_READ_ONLY]: "MEM_READ_ONLY",
  [MEM_READ_PRIVATE]: "MEM_READ_PRIVATE",
  [MEM_READWRITE]: "MEM_READWRITE",
  [MEM_COPY_ON_WRITE]: "MEM_COPY_ON_WRITE",
};

/** The largest offset or size that passes through an i64 unchanged. */
const I64_MAX = (1n << 63n) - 1n;

export interface MmfStats {
  /** Live regions. */
  regions: number;
  /** Bytes mapped for them, in whole pages. */
  mappedBytes: number;
  /** Their sizes added up. */
  regionBytes: number;
}

/** Options of newMemoryRegion (memmap2's populate; advice is MemoryRegion.advise). */
export interface RegionOptions {
  /** Fault every page in now (MAP_POPULATE) rather than at first touch. */
  populate?: boolean;
}

/** Bits of the core module's `options` (assembly/modes.ts REGION_*). */
const REGION_POPULATE = 0x1;
/** The record index inside a region id (assembly/region-table.ts INDEX_BITS). */
const REGION_INDEX_MASK = (1 << 24) - 1;

export interface CreateMmfOptions {
  /** "native" (real mmap), "emulated" (copies), or "auto" (default: MMF_BACKEND, else native, else emulated with a warning). */
  backend?: BackendOption;
  /**
   * Most live regions (mappings) this instance may hold; default Infinity: only the process's
   * budget (a quarter of vm.max_map_count, MMF_PROCESS_MAPPINGS to change it) applies. Beyond
   * either, newMemoryRegion throws ENOMEM naming the limit.
   */
  maxMappings?: number;
}

// A RegionOwner by shape only: the methods it needs are stripped from the shipped declarations
// (stripInternal), where `implements RegionOwner` would fail (TS2420).
export class Mmf {
  /** The backend in use: "native" or "emulated". */
  readonly backend: BackendName;
  readonly pageSize: number;
  /** The Wasm memory every region of this instance lives in. */
  readonly memory: WasmMemory;
  readonly #core: CoreExports;
  readonly #host: MmfHost;
  /** @internal The word the host bumps at every fault it absorbs in this memory (see MemoryRegion.copied). */
  readonly epochWord: Int32Array;
  /**
   * Ids of the live regions by their record index (0: none), for close(). An array, not a Set:
   * ids change at every map, and a Set's add and delete would reallocate its table every few maps.
   */
  readonly #live: number[] = [];
  #closed = false;

  /** @internal Use createMmf(). */
  constructor(options: CreateMmfOptions = {}) {
    const { exports, memory, host } = instantiateCore({ backend: options.backend, maxMappings: options.maxMappings ?? Infinity });
    this.backend = host.backend;
    this.#core = exports;
    this.memory = memory;
    this.#host = host;
    this.pageSize = host.pageSize;
    this.epochWord = new Int32Array(memory.buffer, exports.epoch_address() >>> 0, 1);
  }

  /**
   * Maps `size` bytes of `object` from byte `offset` (any offset; size 0 = the rest of the object)
   * in `mode`, one of the MEM_* constants.
   */
  newMemoryRegion(object: Mappable, mode: RegionMode, offset: number | bigint = 0, size: number | bigint = 0, options: RegionOptions = {}): MemoryRegion {
    // Built only for an error message: this is on the path of every map.
    const operation = () => `newMemoryRegion(mode=${MODE_NAMES[mode] ?? String(mode)}, offset=${offset}, size=${size})`;
    if (this.#closed) throw new MmfError("ECLOSED", `${operation()}: this Mmf instance is closed`);
    // Type checks only; which modes exist is the core module's to say.
    if (typeof mode !== "number" || (mode | 0) !== mode) throw new MmfError("EINVAL", `${operation()}: mode must be one of the MEM_* constants, got ${String(mode)}`);
    const fd = mappableFd(operation, object);
    const off = toI64(operation, "offset", offset);
    const len = toI64(operation, "size", size);
    // Lent as writable: the descriptor's own access mode is what the host checks at map time.
    const handle = this.#host.lend(fd);
    let id: number;
    try {
      id = this.#core.region_open(handle, mode, off, len, options?.populate ? REGION_POPULATE : 0);
    } finally {
      this.#host.endLoan();
    }
    if (id < 0) throw errorFromCode(operation(), id, describeOpenError(id, fd, mode, this.#host));
    const size_ = this.#core.region_size(id) >>> 0;
    const address = this.#core.region_address(id) >>> 0;
    this.#live[id & REGION_INDEX_MASK] = id;
    return new MemoryRegion(this, id, new Uint8Array(this.memory.buffer, address, size_), mode);
  }

  /**
   * Closes every live region of this instance (as region.close() would: changes of MEM_READWRITE
   * regions reach the file), then its host. Idempotent. Afterwards newMemoryRegion throws ECLOSED,
   * and so does every use of its regions but close().
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of this.#live) if (id) this.#core.region_close(id);
    this.#live.length = 0;
    this.#host.close();
  }

  /** close(), for `using mmf = createMmf()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  stats(): MmfStats {
    return {
      regions: this.#core.stats_regions(),
      mappedBytes: this.#core.stats_mapped_bytes(),
      regionBytes: this.#core.stats_region_bytes(),
    };
  }

  /**
   * @internal Copies src's bytes into dst, which must hold zeros (a freshly sized file), in Wasm,
   * skipping zero 4 KiB chunks so a sparse source stays sparse. Returns the bytes written.
   */
  copyIntoZeroed(dst: Uint8Array, src: Uint8Array): number {
    // After a grow the memory's buffer is a new object, so views of it are checked by range.
    const limit = this.memory.buffer.byteLength;
    if (dst.byteLength < src.byteLength || dst.byteOffset + dst.byteLength > limit || src.byteOffset + src.byteLength > limit) {
      throw new MmfError("EINVAL", "copyIntoZeroed: views of this instance's memory, dst at least as long as src");
    }
    return this.#core.copy_into_zeroed(dst.byteOffset, src.byteOffset, src.byteLength);
  }

  /** @internal The next offset of `fd` that holds data (for skipping holes), or a negated errno. */
  nextData(fd: number, offset: number): number {
    return this.#host.nextData(fd, offset);
  }

  /** @internal Test seam: the host that carries out this instance's system calls. */
  get host(): MmfHost {
    return this.#host;
  }

  /** @internal */
  checked(operation: string, result: number): number {
    if (result < 0) throw errorFromCode(operation, result);
    return result;
  }

  /** @internal */
  spanOf(id: number, offset: number, length: number, write: boolean): number {
    if (this.#closed) return -ErrorCodes.ECLOSED;
    return this.#core.region_span(id, offset, length, write ? 1 : 0);
  }

  /** @internal */
  seekOf(id: number, position: number, offset: number, whence: number): number {
    if (this.#closed) return -ErrorCodes.ECLOSED;
    return this.#core.region_seek(id, position, offset, whence);
  }

  /** @internal */
  flushOf(id: number, async: boolean): number {
    if (this.#closed) return -ErrorCodes.ECLOSED;
    return this.#core.region_flush(id, async ? 1 : 0);
  }

  /** @internal */
  flushRangeOf(id: number, offset: number, length: number, async: boolean): number {
    if (this.#closed) return -ErrorCodes.ECLOSED;
    return this.#core.region_flush_range(id, offset, length, async ? 1 : 0);
  }

  /** @internal */
  adviseOf(id: number, advice: number): number {
    if (this.#closed) return -ErrorCodes.ECLOSED;
    return this.#core.region_advise(id, advice);
  }

  /** @internal */
  checkOf(id: number): number {
    if (this.#closed) return -ErrorCodes.ECLOSED;
    return this.#core.region_check(id);
  }

  /** @internal */
  closeOf(id: number): number {
    // After close() every region is unmapped already.
    if (this.#closed) return 0;
    if (this.#live[id & REGION_INDEX_MASK] === id) this.#live[id & REGION_INDEX_MASK] = 0;
    return this.#core.region_close(id);
  }
}

function mappableFd(operation: () => string, object: Mappable): number {
  if (object === null || typeof object !== "object" || typeof object.fd !== "function") {
    throw new MmfError("EINVAL", `${operation()}: object must be a Mappable (an object with fd())`);
  }
  return checkedFd(operation, object.fd());
}

/**
 * Integers only. Values outside i64 are clamped (past any file, or negative), so that the core
 * module judges them with everything else, in its order.
 */
function toI64(operation: () => string, name: string, value: number | bigint): bigint {
  if (typeof value === "bigint") return value > I64_MAX ? I64_MAX : value < -I64_MAX ? -1n : value;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new MmfError("EINVAL", `${operation()}: ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return BigInt(value);
}

function describeOpenError(code: number, fd: number, mode: number, host: MmfHost): string | undefined {
  switch (-code) {
    case ErrorCodes.ENOMEM:
      return host.takeRefusal() ?? "no room left in the 4 GiB Wasm address space";
    case ErrorCodes.EINVAL:
      return MODE_NAMES[mode] ? "offset and size must be non-negative, and the descriptor a regular file"
        : `mode must be MEM_READ_ONLY (0x1), MEM_READ_PRIVATE (0x2), MEM_READWRITE (0x4) or MEM_COPY_ON_WRITE (0x8)`;
    case ErrorCodes.ERANGE:
      return `beyond the end of the object (${fileSizeText(fd)})`;
    case ErrorCodes.EACCES:
      return `${MODE_NAMES[mode]} is not allowed by the descriptor's access mode`;
  }
  return undefined;
}

function fileSizeText(fd: number): string {
  try {
    return `its size is ${fstatSync(fd).size} bytes`;
  } catch {
    return "size unknown";
  }
}


/** A new independent instance: its own Wasm instance, memory and address space. */
export function createMmf(options: CreateMmfOptions = {}): Mmf {
  return new Mmf(options);
}
