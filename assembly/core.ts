// Entry of the core module that the Node host loads (dist/mmf.wasm). Flat exports with scalar
// arguments: the host keeps no region state of its own beyond the ids these return.

export { MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE } from "./modes";
import {
  closeRegion, flushRegion, initRegions, liveMappedBytes, liveRegionBytes, liveRegionCount,
  openRegion, regionAddress, regionCheck, regionSeek, regionSize, regionSpan, flushRegionRange, adviseRegion, epochAddress,
} from "./region-table";

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
