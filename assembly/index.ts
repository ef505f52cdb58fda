// wasm-mmf for AssemblyScript guests: import { openFile, newMemoryRegion, ... } from "wasm-mmf/assembly".
// The module imports the `mmf` host functions (docs/abi.md); a Node host supplies them with MmfHost.

import { OBJECT, TOTAL_OVERHEAD } from "rt/common";
import { MappedFile } from "./mapped-file";
import { MemoryObject } from "./memory-object";
import { MemoryRegion } from "./memory-region";
import { finalizeMappedFile } from "./mapped-file";
import { finalizeMemoryRegion } from "./memory-region";

export {
  MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE, REGION_POPULATE,
  ADVICE_NORMAL, ADVICE_RANDOM, ADVICE_SEQUENTIAL, ADVICE_WILLNEED, ADVICE_HUGEPAGE,
} from "./modes";
export { OK, EINVAL, ERANGE, EACCES, EBADF, ECLOSED, ENOMEM, EIO, ETRUNCATED, ENOENT, ENOSPC, EEXIST, ENOTSUP, errorName, errorMessage } from "./errors";
export { Result } from "./result";
export { Mappable, MappedFile, openFile, fileFromHandle } from "./mapped-file";
export { MemoryRegion, newMemoryRegion, useMemoryRegion } from "./memory-region";
export { MemoryObject, newMemoryObject, destroyMemoryObject, memoryObjectFromHandle } from "./memory-object";
export { MemoryRegionReader, MemoryRegionWriter } from "./region-cursor";

/**
 * Called by the runtime for every object it frees: unmaps collected regions and closes collected
 * files. A guest that needs a __finalize of its own calls mmfFinalize(ptr) from it.
 */
export function mmfFinalize(ptr: usize): void {
  const id = changetype<OBJECT>(ptr - TOTAL_OVERHEAD).rtId;
  if (id == idof<MemoryRegion>()) finalizeMemoryRegion(changetype<MemoryRegion>(ptr));
  else if (id == idof<MappedFile>() || id == idof<MemoryObject>()) finalizeMappedFile(changetype<MappedFile>(ptr));
}

// @ts-ignore: decorator
@global function __finalize(ptr: usize): void {
  mmfFinalize(ptr);
}
