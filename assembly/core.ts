// Entry of the core module that the Node host loads (dist/mmf.wasm). Flat exports with scalar
// arguments: the host keeps no region state of its own beyond the ids these return.

import { EINVAL, ENOMEM } from "./errors";
import { getPageShift } from "./pages";
export { MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE } from "./modes";
import {
  closeRegion, flushRegion, initRegions, liveMappedBytes, liveRegionBytes, liveRegionCount,
  openRegion, regionAddress, regionCheck, regionSeek, regionSize, regionSpan, flushRegionRange, adviseRegion, epochAddress,
  lockRegion, regionResidency, regionPages, remapRegion, remapCount,
} from "./region-table";
import { releasePages, reservePages } from "./address-space";
import { pagesFor } from "./pages";

export function init(): i32 {
  return initRegions();
}

export function region_open(handle: i32, mode: i32, offset: i64, size: i64, options: i32): i32 {
  return openRegion(handle, mode, offset, size, options);
}

export function region_flush_range(id: i32, offset: f64, length: f64, isAsync: i32): i32 {
  return flushRegionRange(id, offset, length, isAsync != 0);
}

export function region_advise(id: i32, advice: i32): i32 {
  return adviseRegion(id, advice);
}

export function region_lock(id: i32, lock: i32): i32 {
  return lockRegion(id, lock != 0);
}

/** Where region_residency(id, 1) left the page map (one byte per page), reused by the next call. */
let residencyMap: usize = 0;
let residencyMapPages: u32 = 0;

/** Resident pages of the region; with `withMap`, one byte per page at residency_map() too. */
export function region_residency(id: i32, withMap: i32): i32 {
  if (withMap == 0) return regionResidency(id, 0, 0);
  const pages = regionPages(id);
  const need = <u32>pagesFor(<u64>pages);
  if (need > residencyMapPages) {
    if (residencyMap != 0) releasePages(residencyMap, residencyMapPages);
    residencyMap = reservePages(need);
    residencyMapPages = residencyMap == 0 ? 0 : need;
    if (residencyMap == 0) return -ENOMEM;
  }
  return regionResidency(id, residencyMap, residencyMapPages << getPageShift());
}

export function residency_map(): usize {
  return residencyMap;
}

export function region_pages(id: i32): u32 {
  return regionPages(id);
}

/** See remapRegion; sizes as doubles (below 2^53: a region is at most 4 GiB). */
export function region_remap(id: i32, newSize: f64, room: f64): i32 {
  if (!(newSize >= 0 && newSize <= 9007199254740991) || newSize != Math.floor(newSize) || !(room >= 0 && room <= 9007199254740991)) return -EINVAL;
  return remapRegion(id, <i64>newSize, <i64>room);
}

export function stats_remaps(moved: i32): u32 {
  return remapCount(moved != 0);
}

export function region_close(id: i32): i32 {
  return closeRegion(id);
}

export function region_flush(id: i32, isAsync: i32): i32 {
  return flushRegion(id, isAsync != 0);
}

export function region_address(id: i32): usize {
  return regionAddress(id);
}

export function region_check(id: i32): i32 {
  return regionCheck(id);
}

export function region_size(id: i32): u32 {
  return regionSize(id);
}

export function region_span(id: i32, offset: f64, length: f64, write: i32): f64 {
  return regionSpan(id, offset, length, write != 0);
}

export function region_seek(id: i32, position: f64, offset: f64, whence: i32): f64 {
  return regionSeek(id, position, offset, whence);
}

export function epoch_address(): usize {
  return epochAddress();
}

export function stats_regions(): i32 {
  return liveRegionCount();
}

export function stats_mapped_bytes(): f64 {
  return <f64>liveMappedBytes();
}

export function stats_region_bytes(): f64 {
  return <f64>liveRegionBytes();
}

import { copyIntoZeroed } from "./copy";

export function copy_into_zeroed(dst: usize, src: usize, len: usize): f64 {
  return <f64>copyIntoZeroed(dst, src, len);
}
