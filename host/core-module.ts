// Loads the compiled region logic (dist/mmf.wasm) with @assemblyscript/loader, into a shared
// memory of its own, with an MmfHost supplying its `mmf` imports.
import { readFileSync } from "node:fs";
import { instantiateSync } from "@assemblyscript/loader";
import { MmfError } from "./errors.js";
import { MmfHost, type MmfHostOptions } from "./mmf-host.js";
import type { WasmMemory } from "./wasm-types.js";

/** The core module's exports (see assembly/core.ts). */
export type CoreExports = {
  init(): number;
  region_open(handle: number, mode: number, offset: bigint, size: bigint, options: number): number;
  region_flush_range(id: number, offset: number, length: number, isAsync: number): number;
  region_advise(id: number, advice: number): number;
  region_close(id: number): number;
  region_flush(id: number, isAsync: number): number;
  region_address(id: number): number;
  region_size(id: number): number;
  region_check(id: number): number;
  region_span(id: number, offset: number, length: number, write: number): number;
  region_seek(id: number, position: number, offset: number, whence: number): number;
  epoch_address(): number;
  region_lock(id: number, lock: number): number;
  region_residency(id: number, withMap: number): number;
  residency_map(): number;
  region_pages(id: number): number;
  region_remap(id: number, newSize: number, room: number): number;
  stats_remaps(moved: number): number;
  stats_regions(): number;
  stats_mapped_bytes(): number;
  stats_region_bytes(): number;
  copy_into_zeroed(dst: number, src: number, len: number): number;
};

/** Wasm pages the core module starts with (its static data, the page bitmap included). */
const INITIAL_PAGES = 4;
/** 65536 pages of 64 KiB: the whole 4 GiB wasm32 address space. */
const MAXIMUM_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

function coreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL("../mmf.wasm", import.meta.url)));
  return compiled;
}

/** One instance of the core module, as an Mmf and each of its regions hold it. */
export interface CoreInstance {
  exports: CoreExports;
  memory: WasmMemory;
  host: MmfHost;
  /** The word of the memory that the host bumps at every fault it absorbs (see MemoryRegion.copied). */
  epochWord: Int32Array;
  /**
   * Ids of the live regions by their record index (0: none): Mmf.close() closes them; a region
   * leaves when it closes. An array, not a Set: ids change at every map, and a Set's add and
   * delete would reallocate its table every few maps.
   */
  live: number[];
}

/** The record index inside a region id (assembly/region-table.ts INDEX_BITS). */
const REGION_INDEX_MASK = (1 << 24) - 1;

/** Counts region `id` among `core`'s live ones. */
export function addLive(core: CoreInstance, id: number): void {
  core.live[id & REGION_INDEX_MASK] = id;
}

/** Takes region `id` out of `core`'s live ones; false if it was not there (closed already). */
export function takeLive(core: CoreInstance, id: number): boolean {
  const index = id & REGION_INDEX_MASK;
  if (core.live[index] !== id) return false;
  core.live[index] = 0;
  return true;
}

/**
 * A new core instance. The memory is shared so that views of it (region.data()) stay valid
 * when a later region grows it; V8 reserves its full 4 GiB up front, so its base never moves.
 */
export function instantiateCore(hostOptions: MmfHostOptions = {}): CoreInstance {
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  } catch (err) {
    // V8 reserves the whole 4 GiB (and guard pages) up front: a low `ulimit -v` refuses it.
    throw new MmfError("ENOMEM", `createMmf: cannot reserve the 4 GiB address space of a Wasm memory (${(err as Error).message})`);
  }
  const host = new MmfHost(hostOptions);
  try {
    const { exports } = instantiateSync<CoreExports>(coreModule(), {
      env: { memory },
      mmf: host.imports,
    });
    host.attach(memory);
    if (exports.init() < 0) throw new MmfError("EINVAL", `createMmf: unsupported page size ${host.pageSize} (a power of two from 4 KiB to 64 KiB)`);
    const epochWord = new Int32Array(memory.buffer, exports.epoch_address() >>> 0, 1);
    return { exports, memory, host, epochWord, live: [] };
  } catch (err) {
    host.close();
    throw err instanceof MmfError ? err : new MmfError("EIO", `createMmf: cannot load the core module dist/mmf.wasm (${(err as Error).message})`);
  }
}
