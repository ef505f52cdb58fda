// MemoryRegion for AssemblyScript guests: a window of a file mapped into this module's memory.
// Regions the collector frees are unmapped (see finalizeMemoryRegion, called by __finalize).

import { ECLOSED } from "./errors";
import { Mappable } from "./mapped-file";
import { host_file_size } from "./imports";
import {
  adviseRegion, closeRegion, flushRegion, flushRegionRange, lockRegion, openRegion, regionAddress, regionCheck, regionPages, regionResidency, regionSize,
  remapRegion,
} from "./region-table";
import { Result } from "./result";

export class MemoryRegion {
  /** The region's byte offset in its file (what remap measures the file's room from). */
  private offset: i64 = 0;

  constructor(private id: i32) {}

  /** @internal The region-table id; 0 once closed. */
  get regionId(): i32 {
    return this.id;
  }

  /** @internal */
  bind(id: i32, offset: i64 = 0): void {
    this.id = id;
    this.offset = offset;
  }

  /** Address of the first mapped byte in linear memory (load<u8>(data() + i)); 0 when closed or empty. */
  data(): usize {
    return this.id == 0 ? 0 : regionAddress(this.id);
  }

  /**
   * 0 while the region is usable; -ECLOSED, or the code of a fault it took: -ETRUNCATED once its
   * file was truncated under it, -ENOSPC when the file system had no room for a page, -EIO.
   */
  check(): i32 {
    return this.id == 0 ? -ECLOSED : regionCheck(this.id);
  }

  /** Size in bytes; 0 once closed. */
  size(): i64 {
    return this.id == 0 ? 0 : <i64>regionSize(this.id);
  }

  /** msync of a MEM_READWRITE region (MS_ASYNC when isAsync); 0 or a negated error code. */
  flush(isAsync: bool = false): i32 {
    return this.id == 0 ? -ECLOSED : flushRegion(this.id, isAsync);
  }

  /** msync of the pages holding [offset, offset+length) (memmap2's flush_range); 0 or a negated error code. */
  flushRange(offset: i64, length: i64, isAsync: bool = false): i32 {
    return this.id == 0 ? -ECLOSED : flushRegionRange(this.id, <f64>offset, <f64>length, isAsync);
  }

  /** madvise with one of the ADVICE_* constants; 0 or a negated error code. */
  advise(advice: i32): i32 {
    return this.id == 0 ? -ECLOSED : adviseRegion(this.id, advice);
  }

  /**
   * mlock of the region's pages (ABI version 3): read in now, kept in memory until unlock() or
   * close(). 0 or a negated code: ENOMEM (EACCES when the limit is 0) when RLIMIT_MEMLOCK refuses,
   * ENOTSUP when the host cannot lock.
   */
  lock(): i32 {
    return this.id == 0 ? -ECLOSED : lockRegion(this.id, true);
  }

  /** munlock of the region's pages; 0 or a negated code. */
  unlock(): i32 {
    return this.id == 0 ? -ECLOSED : lockRegion(this.id, false);
  }

  /**
   * How many of the region's pages are in memory (mincore), or a negated code (ENOTSUP when the
   * host cannot tell). With `pages`, which ones too: one byte per page (1 resident), so it must
   * hold pageCount() bytes (else ERANGE).
   */
  residency(pages: Uint8Array | null = null): i32 {
    if (this.id == 0) return -ECLOSED;
    return pages == null ? regionResidency(this.id, 0, 0) : regionResidency(this.id, pages.dataStart, <u32>pages.length);
  }

  /** The region's pages, whole, as mapped (what residency counts in); 0 once closed. */
  pageCount(): i32 {
    return this.id == 0 ? 0 : <i32>regionPages(this.id);
  }

  /**
   * Resizes the region to `newSize` bytes from the same offset of `object`, its file, which grew
   * (or to shrink it); 0 or a negated code (ERANGE past the file's end, ENOTSUP when the host cannot).
   * In place when the pages after it are free, else moved: take data() again afterwards.
   */
  remap(object: Mappable, newSize: i64): i32 {
    if (this.id == 0) return -ECLOSED;
    const fileSize = host_file_size(object.fd());
    if (fileSize < 0) return <i32>fileSize;
    return remapRegion(this.id, newSize, fileSize - this.offset);
  }

  /** Unmaps the region. Idempotent; 0 or a negated error code (also the code of a fault the region took). */
  close(): i32 {
    if (this.id == 0) return 0;
    const id = this.id;
    this.id = 0;
    return closeRegion(id);
  }
}

/**
 * Maps `size` bytes of `object` from byte `offset` (any offset; size 0 = the rest) in `mode`,
 * one of the MEM_* constants; `options` REGION_POPULATE faults every page in now.
 */
export function newMemoryRegion(object: Mappable, mode: i32, offset: i64 = 0, size: i64 = 0, options: i32 = 0): Result<MemoryRegion> {
  // Allocate first: the runtime's heap claims all memory there is when it starts, so it must
  // start before any page is mapped.
  const region = new MemoryRegion(0);
  const id = openRegion(object.fd(), mode, offset, size, options);
  if (id < 0) return new Result<MemoryRegion>(null, -id);
  region.bind(id, offset);
  return new Result<MemoryRegion>(region, 0);
}

let keepAliveSink: usize = 0;

/** Keeps `region` reachable up to this call (Go's UseMemoryRegion). */
export function useMemoryRegion(region: MemoryRegion): void {
  keepAliveSink = changetype<usize>(region);
  keepAliveSink = 0;
}

/** Unmaps a region the collector frees without close(). */
export function finalizeMemoryRegion(region: MemoryRegion): void {
  region.close();
}
