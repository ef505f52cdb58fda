// Package entry of wasm-mmf: Go's mmf API for Node, over file pages mapped into Wasm memory.
import { createMmf, type Mmf, type MmfStats, type RegionMode, type RegionOptions } from "./mmf.js";
import type { Mappable } from "./mapped-file.js";
import type { MemoryRegion } from "./memory-region.js";

export { createMmf, Mmf, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE } from "./mmf.js";
export type { MmfStats, CreateMmfOptions, RegionOptions, RegionMode, RemapCounts } from "./mmf.js";
export { MemoryRegion, useMemoryRegion } from "./memory-region.js";
export type { Advice } from "./abi.js";
export type { Residency } from "./memory-region.js";
export type { RegionStreamOptions } from "./region-stream.js";
export { MemoryRegionReader, MemoryRegionWriter } from "./region-cursor.js";
export { openFile, MappedFile } from "./mapped-file.js";
export type { Mappable, SizedObject, OpenFlags } from "./mapped-file.js";
export { newMemoryObject, destroyMemoryObject, MemoryObject, SHM_DIR, MAX_OBJECT_NAME } from "./memory-object.js";
export type { MemoryObjectFlags } from "./memory-object.js";
export { MmfError } from "./errors.js";
export { ABI_VERSION, ErrorCodes, ErrorTexts, MapFlags, OpenModes, AdviceCodes } from "./abi.js";
export type { MmfErrorCode } from "./abi.js";
export { MmfHost } from "./mmf-host.js";
export type { MmfHostOptions, MmfImports } from "./mmf-host.js";
export type { BackendOption, BackendName } from "./backend.js";
export type { WasmMemory, WasmInstance } from "./wasm-types.js";

let defaultInstance: Mmf | undefined;

/** The instance behind the module-level functions, created on first use. */
export function defaultMmf(): Mmf {
  defaultInstance ??= createMmf();
  return defaultInstance;
}

/** Maps a region with the default instance (see Mmf.newMemoryRegion). */
export function newMemoryRegion(
  object: Mappable,
  mode: RegionMode,
  offset: number | bigint = 0,
  size: number | bigint = 0,
  options: RegionOptions = {},
): MemoryRegion {
  return defaultMmf().newMemoryRegion(object, mode, offset, size, options);
}

/** Live regions of the default instance. */
export function stats(): MmfStats {
  return defaultMmf().stats();
}
