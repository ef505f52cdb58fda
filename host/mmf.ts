// Mmf: one independent instance of the region logic (its own Wasm instance, memory and host).
import { fstatSync } from "node:fs";
import { addLive, instantiateCore, type CoreInstance } from "./core-module.js";
import { errorFromCode, ErrorCodes, MmfError } from "./errors.js";
import { MemoryRegion } from "./memory-region.js";
import { checkedFd, type Mappable } from "./mapped-file.js";
import type { MmfHost } from "./mmf-host.js";
import type { BackendName, BackendOption } from "./backend.js";
import type { WasmMemory } from "./wasm-types.js";

import { MEM_COPY_ON_WRITE, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, REGION_POPULATE } from "./abi.js";

export { MEM_COPY_ON_WRITE, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE };

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

/** MemoryRegion.remap calls of an instance that succeeded, since it started (Mmf.remapCounts). */
export interface RemapCounts {
  /** Resized where the region was. */
  inPlace: number;
  /** Moved to other pages (views taken before then show zeros). */
  moved: number;
}

/** Options of newMemoryRegion (memmap2's populate; advice is MemoryRegion.advise). */
export interface RegionOptions {
  /** Fault every page in now (MAP_POPULATE) rather than at first touch. */
  populate?: boolean;
}

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

/**
 * @internal The core instance behind an Mmf, for this package's own modules (the CLI's copy) and
 * its tests; neither index.ts nor the shipped types export it. Set by Mmf's static block, the one
 * place that can read #core.
 */
export let coreOf: (mmf: Mmf) => CoreInstance;

export class Mmf {
  static {
    coreOf = (mmf) => mmf.#core;
  }

  /** The backend in use: "native" or "emulated". */
  readonly backend: BackendName;
  readonly pageSize: number;
  /** The Wasm memory every region of this instance lives in. */
  readonly memory: WasmMemory;
  readonly #core: CoreInstance;
  #closed = false;

  /** @internal Use createMmf(). */
  constructor(options: CreateMmfOptions = {}) {
    this.#core = instantiateCore({ backend: options.backend, maxMappings: options.maxMappings ?? Infinity });
    this.backend = this.#core.host.backend;
    this.memory = this.#core.memory;
    this.pageSize = this.#core.host.pageSize;
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
    if (typeof mode !== "number" || (mode | 0) !== mode)
      throw new MmfError("EINVAL", `${operation()}: mode must be one of the MEM_* constants, got ${String(mode)}`);
    const fd = mappableFd(operation, object);
    const off = toI64(operation, "offset", offset);
    const len = toI64(operation, "size", size);
    const { exports, host } = this.#core;
    // Lent as writable: the descriptor's own access mode is what the host checks at map time.
    const handle = host.lend(fd);
    let id: number;
    try {
      id = exports.region_open(handle, mode, off, len, options?.populate ? REGION_POPULATE : 0);
    } finally {
      host.endLoan();
    }
    if (id < 0) throw errorFromCode(operation(), id, describeOpenError(id, fd, mode, host));
    const view = new Uint8Array(this.memory.buffer, exports.region_address(id) >>> 0, exports.region_size(id) >>> 0);
    addLive(this.#core, id);
    return new MemoryRegion(this.#core, id, view, mode, object, Number(off));
  }

  /**
   * Closes every live region of this instance (as region.close() would: changes of MEM_READWRITE
   * regions reach the file), then its host. Idempotent. Afterwards newMemoryRegion throws ECLOSED,
   * and so does every use of its regions but close().
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const { exports, host, live } = this.#core;
    for (const id of live) if (id) exports.region_close(id);
    live.length = 0;
    host.close();
  }

  /** close(), for `using mmf = createMmf()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  stats(): MmfStats {
    const { exports } = this.#core;
    return {
      regions: exports.stats_regions(),
      mappedBytes: exports.stats_mapped_bytes(),
      regionBytes: exports.stats_region_bytes(),
    };
  }

  /** How many remaps resized a region in place, and how many moved one. */
  remapCounts(): RemapCounts {
    const { exports } = this.#core;
    return { inPlace: exports.stats_remaps(0), moved: exports.stats_remaps(1) };
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
      return MODE_NAMES[mode]
        ? "offset and size must be non-negative, and the descriptor a regular file"
        : `mode must be ${Object.entries(MODE_NAMES)
            .map(([value, name]) => `${name} (0x${Number(value).toString(16)})`)
            .join(", ")}`;
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
