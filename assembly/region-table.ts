// The region table: every live mapping of this module, its bounds and its mode.
//
// Records live in raw memory taken from the address space (not the runtime heap), so the
// table works the same under any AssemblyScript runtime, including the stub one. A region id
// packs the record index with a generation byte, so a closed region's id never reaches the
// region that reuses its record.

import { EACCES, ECLOSED, EINVAL, EIO, ENOMEM, ENOSPC, ERANGE, ETRUNCATED } from "./errors";
import {
  host_advise, host_fault_cause, host_file_size, host_lock, host_map, host_page_size, host_remap, host_residency, host_sync, host_unmap, host_watch,
  MAP_POPULATE, MAP_READ_ONLY, MAP_SHARED,
} from "./imports";
import { ADVICE_COUNT, allowsWrites, isValidMode, mapsShared, MEM_READWRITE, REGION_POPULATE } from "./modes";
import { getPageShift, getPageSize, pageOffsetOf, pagesFor, setPageSize } from "./pages";
import { claimPages, releasePages, reservePages } from "./address-space";

/** A region's record: 16 bytes of the table, raw memory that no runtime manages. */
// @ts-ignore: decorator
@unmanaged class RegionRecord {
  /** Page-aligned start of the mapping; when the record is dead, the index of the next dead one. */
  mapAddr: u32;
  /** Bytes mapped, whole pages (0 for an empty region). */
  mapLen: u32;
  /** Bytes of the region. */
  size: u32;
  /** Where the region starts inside its first page. */
  pageOff: u16;
  /** The MEM_* mode in the low nibble, the fault's error code in the high one; 0 = dead record. */
  mode: u8;
  /** Generation, bumped at every close, so that a closed region's id never reaches its record's next region. */
  gen: u8;
}
const RECORD = offsetof<RegionRecord>();
const MODE_MASK: u8 = 0x0f;
/** mode >> FAULT_SHIFT: 0, or the code (ETRUNCATED, ENOSPC, EIO) of a fault the host absorbed. */
const FAULT_SHIFT: u8 = 4;

/** The host bumps this word when any mapping of this memory faults (a SIGBUS it absorbed). */
const EPOCH: usize = memory.data(8, 8);
let seenEpoch: i32 = 0;
/**
 * The word after EPOCH, bumped at every close: [EPOCH, STAMP] as one u64 is the state a reader's
 * cached view of its region (see RegionCursor) was checked against.
 */
const STAMP: usize = EPOCH + 4;

/** EPOCH and STAMP in one load (see STAMP); changes at every fault and every close. */
// @ts-ignore: decorator
@inline export function tableSnapshot(): u64 {
  return load<u64>(EPOCH);
}

/** Whether the epoch is the one of `snapshot`: no fault came since it was taken. */
// @ts-ignore: decorator
@inline export function epochIs(snapshot: u64): bool {
  return load<i32>(EPOCH) == <i32>snapshot;
}

const INDEX_BITS = 24;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
const LARGE_ALIGN: u32 = 2 << 20;
/** A region cannot be larger than the address space minus the pages static data holds. */
const MAX_REGION: i64 = 0xffff0000;

let table: usize = 0;
let capacity: u32 = 0;
let used: u32 = 0; // records ever handed out: [0, used)
let freeHead: i32 = -1; // first dead record to reuse

let liveRegions: i32 = 0;
let liveMapped: u64 = 0;
let liveBytes: u64 = 0;

/** Reads the page size from the host. Returns 0, or -EINVAL for an unusable page size. */
export function initRegions(): i32 {
  if (getPageSize() != 0) return 0;
  if (!setPageSize(host_page_size())) return -EINVAL;
  host_watch(EPOCH);
  return 0;
}

/** After the epoch moved, asks the host which live regions faulted, and why, and flags them. */
function refreshFaults(): void {
  seenEpoch = load<i32>(EPOCH);
  for (let i: u32 = 0; i < used; i++) {
    const rec = recordOf(i);
    const mode = rec.mode;
    if (mode == 0 || (mode >> FAULT_SHIFT) != 0 || rec.mapLen == 0) continue;
    const cause = host_fault_cause(<usize>rec.mapAddr, <usize>rec.mapLen);
    if (cause <= 0) continue;
    const code = cause == ETRUNCATED || cause == ENOSPC ? cause : EIO;
    rec.mode = mode | (<u8>code << FAULT_SHIFT);
  }
}

/** The negated code of the fault region record `rec` took (0 if none), the epoch looked at first. */
// @ts-ignore: decorator. Inlined: it is on the path of every operation, random reads included.
@inline function faultOf(rec: RegionRecord): i32 {
  if (load<i32>(EPOCH) != seenEpoch) refreshFaults();
  return -<i32>(rec.mode >> FAULT_SHIFT);
}

/** Why usableRecord last returned null: -ECLOSED, or the fault's -ETRUNCATED, -ENOSPC or -EIO. */
let refusal: i32 = 0;

/**
 * The record of region `id` if it is open and whole, else null with `refusal` set (-ECLOSED, or
 * the code of the fault the region took: -ETRUNCATED once its file shrank under it, -ENOSPC,
 * -EIO). One lookup for every operation that checks.
 */
function usableRecord(id: i32): RegionRecord | null {
  const rec = lookup(id);
  if (rec == null) {
    refusal = -ECLOSED;
    return null;
  }
  const fault = faultOf(rec);
  if (fault != 0) {
    refusal = fault;
    return null;
  }
  return rec;
}

/** 0 if region `id` is open and whole, -ECLOSED, or the code of the fault it took (-ETRUNCATED, -ENOSPC, -EIO). */
export function regionCheck(id: i32): i32 {
  return usableRecord(id) == null ? refusal : 0;
}

function recordOf(index: u32): RegionRecord {
  return changetype<RegionRecord>(table + (<usize>index) * RECORD);
}

/** The record of a live region id, or null. */
function lookup(id: i32): RegionRecord | null {
  if (id <= 0) return null;
  const index = <u32>(id & INDEX_MASK) - 1;
  if (index >= used) return null;
  const rec = recordOf(index);
  if (rec.mode == 0 || <i32>rec.gen != (id >>> INDEX_BITS)) return null;
  return rec;
}

/** Doubles the table into fresh pages. False when there is no room. */
function growTable(): bool {
  const bytes: u64 = capacity == 0 ? <u64>getPageSize() : (<u64>capacity * RECORD) << 1;
  if (bytes / RECORD > <u64>INDEX_MASK) return false;
  const pages = <u32>pagesFor(bytes);
  const fresh = reservePages(pages);
  if (fresh == 0) return false;
  if (table != 0) {
    memory.copy(fresh, table, <usize>capacity * RECORD);
    releasePages(table, <u32>pagesFor(<u64>capacity * RECORD));
  }
  table = fresh;
  capacity = <u32>(bytes / RECORD);
  return true;
}

/** A record index ready for a new region, or -1. */
function takeRecord(): i32 {
  if (freeHead >= 0) {
    const index = freeHead;
    freeHead = <i32>recordOf(<u32>index).mapAddr;
    return index;
  }
  if (used == capacity && !growTable()) return -1;
  const index = used;
  used++;
  return <i32>index;
}

function dropRecord(index: u32): void {
  const rec = recordOf(index);
  rec.mode = 0;
  rec.gen = (rec.gen + 1) & 0x7f;
  rec.mapAddr = <u32>freeHead;
  freeHead = <i32>index;
}

/**
 * Maps `size` bytes of the file behind `handle`, from byte `offset` (any offset, not only a
 * page boundary), in `mode`. `size` 0 means the rest of the file. Returns the region id (> 0)
 * or a negated error code. Nothing is left mapped or reserved on failure.
 */
export function openRegion(handle: i32, mode: i32, offset: i64, size: i64, options: i32 = 0): i32 {
  const init = initRegions();
  if (init < 0) return init;
  if (!isValidMode(mode) || offset < 0 || size < 0 || (options & ~REGION_POPULATE) != 0) return -EINVAL;
  const fileSize = host_file_size(handle);
  if (fileSize < 0) return <i32>fileSize;
  if (offset > fileSize) return -ERANGE;
  if (size == 0) size = fileSize - offset;
  else if (size > fileSize - offset) return -ERANGE;
  if (size > MAX_REGION) return -ENOMEM;

  const pageOff = pageOffsetOf(offset);
  const pages = <u32>pagesFor(<u64>pageOff + <u64>size);
  const index = takeRecord();
  if (index < 0) return -ENOMEM;
  let addr: usize = 0;
  if (size > 0) {
    // A large region gets an address congruent to its file offset modulo 2 MiB: the kernel then
    // maps whole large folios of the page cache at a fault (measured here: a 256 MiB scan of a
    // fresh mapping took 33 ms aligned against 130 ms at a 1 MiB offset). Wasm memories' bases
    // are 2 MiB-aligned in V8.
    const align = LARGE_ALIGN >> getPageShift();
    const large = pages >= align;
    addr = reservePages(pages, large ? align : 1, large ? <u32>((offset - <i64>pageOff) >> getPageShift()) & (align - 1) : 0);
    if (addr == 0) {
      dropRecord(<u32>index);
      return -ENOMEM;
    }
    const flags = (mapsShared(mode) ? MAP_SHARED : 0) | ((options & REGION_POPULATE) != 0 ? MAP_POPULATE : 0) |
      (allowsWrites(mode) ? 0 : MAP_READ_ONLY);
    const mapped = host_map(handle, offset - <i64>pageOff, addr, <usize>pages << getPageShift(), flags);
    if (mapped < 0) {
      releasePages(addr, pages);
      dropRecord(<u32>index);
      return mapped;
    }
  }
  const rec = recordOf(<u32>index);
  const mapLen: u32 = size > 0 ? pages << getPageShift() : 0;
  rec.mapAddr = <u32>addr;
  rec.mapLen = mapLen;
  rec.size = <u32>size;
  rec.pageOff = <u16>pageOff;
  rec.mode = <u8>mode;
  liveRegions++;
  liveMapped += mapLen;
  liveBytes += <u64>size;
  return (<i32>rec.gen << INDEX_BITS) | (index + 1);
}

/**
 * Unmaps a region and frees its id. Returns 0, -ECLOSED for a closed or unknown id, the unmap
 * error, or the code of a fault the region took (its writes may not have reached the file).
 */
export function closeRegion(id: i32): i32 {
  const rec = lookup(id);
  if (rec == null) return -ECLOSED;
  const fault = faultOf(rec);
  const addr = <usize>rec.mapAddr;
  const mapLen = rec.mapLen;
  let result = 0;
  if (mapLen > 0) {
    result = host_unmap(addr, mapLen);
    // Pages whose mapping could not be dropped are never reused.
    if (result == 0) releasePages(addr, mapLen >> getPageShift());
  }
  // Readers' cached views of this region are stale from here on.
  store<u32>(STAMP, load<u32>(STAMP) + 1);
  liveRegions--;
  liveMapped -= mapLen;
  liveBytes -= <u64>rec.size;
  dropRecord(<u32>(id & INDEX_MASK) - 1);
  return result != 0 ? result : fault;
}

/** Writes a MEM_READWRITE region's changes to the file (others have nothing to write). */
export function flushRegion(id: i32, isAsync: bool): i32 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  const mapLen = rec.mapLen;
  if ((rec.mode & MODE_MASK) != MEM_READWRITE || mapLen == 0) return 0;
  const synced = host_sync(<usize>rec.mapAddr, mapLen, isAsync ? 1 : 0);
  return synced < 0 ? synced : faultOf(rec);
}

/**
 * msync of the pages that hold [offset, offset+length) of a MEM_READWRITE region (memmap2's
 * flush_range). Bounds as for readers: past the end is ERANGE, negative EINVAL.
 */
export function flushRegionRange(id: i32, offset: f64, length: f64, isAsync: bool): i32 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  if (!(offset >= 0) || !(length >= 0) || !isFinite(offset + length) || offset != Math.floor(offset) || length != Math.floor(length)) return -EINVAL;
  if (offset + length > <f64>rec.size) return -ERANGE;
  if ((rec.mode & MODE_MASK) != MEM_READWRITE || length == 0) return 0;
  const mask = <usize>getPageSize() - 1;
  const first = <usize>rec.mapAddr + <usize>rec.pageOff + <usize>offset;
  const start = first & ~mask;
  const end = (first + <usize>length + mask) & ~mask;
  const synced = host_sync(start, end - start, isAsync ? 1 : 0);
  return synced < 0 ? synced : faultOf(rec);
}

/** madvise over the whole region (see ADVICE_* in modes.ts). */
export function adviseRegion(id: i32, advice: i32): i32 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  if (advice < 0 || advice >= ADVICE_COUNT) return -EINVAL;
  const mapLen = rec.mapLen;
  return mapLen == 0 ? 0 : host_advise(<usize>rec.mapAddr, mapLen, advice);
}

/** mlock (`lock`) or munlock of the region's pages: locked, they are read in now and stay in memory. */
export function lockRegion(id: i32, lock: bool): i32 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  const mapLen = rec.mapLen;
  return mapLen == 0 ? 0 : host_lock(<usize>rec.mapAddr, mapLen, lock);
}

/**
 * How many of the region's pages are resident in memory (mincore), or a negated code. With `vec`
 * not 0, one byte per page (1 resident, 0 not) is also written to [vec, vec + vecLen), which must
 * hold a byte for each of the region's pages (else -ERANGE).
 */
export function regionResidency(id: i32, vec: usize, vecLen: u32): i32 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  const mapLen = rec.mapLen;
  if (mapLen == 0) return 0;
  if (vec != 0 && vecLen < (mapLen >> getPageShift())) return -ERANGE;
  return host_residency(<usize>rec.mapAddr, mapLen, vec);
}

/** The region's pages, whole (what residency counts in). */
export function regionPages(id: i32): u32 {
  const rec = lookup(id);
  return rec == null ? 0 : rec.mapLen >> getPageShift();
}

let remapsInPlace: u32 = 0;
let remapsMoved: u32 = 0;

/**
 * Makes the region `newSize` bytes (from the same file offset): the file grew (or the region is to
 * shrink). `room` is how many bytes the file holds from the region's offset (its size now minus
 * that offset): more is -ERANGE. The mapping grows in place when the pages after it are free
 * (claimed, growing the memory if they run past it), else it moves to pages reserved anew, and the
 * old ones are free again; shrinking frees the pages past the new end. Every address taken from
 * the region before (its data()) must be taken again. An empty region, or `newSize` 0, is -EINVAL
 * (map a new region). Returns 0 or a negated code; on failure the region is as it was.
 */
export function remapRegion(id: i32, newSize: i64, room: i64): i32 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  if (newSize <= 0 || rec.mapLen == 0) return -EINVAL;
  if (newSize > room) return -ERANGE;
  if (newSize > MAX_REGION) return -ENOMEM;
  const shift = getPageShift();
  const addr = <usize>rec.mapAddr;
  const mapLen = rec.mapLen;
  const oldPages = mapLen >> shift;
  const pages = <u32>pagesFor(<u64>rec.pageOff + <u64>newSize);
  const newLen: u32 = pages << shift;
  let newAddr = addr;
  if (pages < oldPages) {
    const rc = host_remap(addr, mapLen, addr, newLen);
    if (rc < 0) return rc;
    releasePages(addr + newLen, oldPages - pages);
    remapsInPlace++;
  } else if (pages > oldPages) {
    if (claimPages(addr + mapLen, pages - oldPages)) {
      const rc = host_remap(addr, mapLen, addr, newLen);
      if (rc < 0) {
        releasePages(addr + mapLen, pages - oldPages);
        return rc;
      }
      remapsInPlace++;
    } else {
      // Where a large region's address agrees with its file offset modulo 2 MiB (see openRegion),
      // the move keeps that: the old address's phase. A region that grows large keeps its own.
      const align = LARGE_ALIGN >> shift;
      const large = pages >= align;
      newAddr = reservePages(pages, large ? align : 1, large ? <u32>(addr >> shift) & (align - 1) : 0);
      if (newAddr == 0) return -ENOMEM;
      const rc = host_remap(addr, mapLen, newAddr, newLen);
      if (rc < 0) {
        releasePages(newAddr, pages);
        return rc;
      }
      releasePages(addr, oldPages);
      remapsMoved++;
    }
  }
  liveMapped += <u64>newLen - <u64>mapLen;
  liveBytes += <u64>newSize - <u64>rec.size;
  rec.mapAddr = <u32>newAddr;
  rec.mapLen = newLen;
  rec.size = <u32>newSize;
  // Readers' cached views of this region are stale from here on (see STAMP).
  store<u32>(STAMP, load<u32>(STAMP) + 1);
  return 0;
}

/** Remaps that resized a region where it was, and that moved one (stats). */
export function remapCount(moved: bool): u32 {
  return moved ? remapsMoved : remapsInPlace;
}

/** The address of the region's first byte in linear memory (0 for an empty or closed region). */
export function regionAddress(id: i32): usize {
  const rec = lookup(id);
  if (rec == null || rec.size == 0) return 0;
  return <usize>rec.mapAddr + <usize>rec.pageOff;
}

/** The region's size in bytes; 0 once closed. */
export function regionSize(id: i32): u32 {
  const rec = lookup(id);
  return rec == null ? 0 : rec.size;
}

/**
 * How many bytes a read or write of `length` bytes at `offset` may touch: min(length, size - offset),
 * 0 at or past the end. Negative or non-integer offsets are -EINVAL; writes to a region whose mode
 * forbids them are -EACCES. `length` and the count are f64: a JavaScript buffer can hold 4 GiB or
 * more, and a region more than 2 GiB, neither of which an i32 carries.
 */
export function regionSpan(id: i32, offset: f64, length: f64, write: bool): f64 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  if (write && !allowsWrites(<i32>(rec.mode & MODE_MASK))) return -EACCES;
  if (!(offset >= 0) || !isFinite(offset) || offset != Math.floor(offset) || !(length >= 0)) return -EINVAL;
  const size = <f64>rec.size;
  if (offset >= size) return 0;
  return min<f64>(length, size - offset);
}

/**
 * readAt/writeAt for Wasm callers in one pass: checks as regionSpan does, then copies between the
 * region at `offset` and [ptr, ptr+count). Returns the count or a negated error code. A fault
 * during the copy (the epoch moved) returns its code instead of the count: bytes written then may
 * never reach the file, bytes read are zeros the file does not hold.
 * Inlined into every reader and writer, and lean: one load of the record gives its page offset,
 * mode, fault and generation, so that a read costs little more than its memory.copy (on a large
 * region a random read is bound by the memory's latency, and the fewer instructions between two
 * reads, the more of them the processor overlaps). npm run bench holds it to the raw loads.
 */
// @ts-ignore: decorator
@inline export function regionCopy(id: i32, offset: i64, ptr: usize, length: i32, write: bool): i32 {
  const index = <u32>(id & INDEX_MASK) - 1;
  if (id <= 0 || index >= used) return -ECLOSED;
  const rec = recordOf(index);
  // pageOff (u16), mode and gen, little-endian in one word.
  const metaAt = changetype<usize>(rec) + offsetof<RegionRecord>("pageOff");
  let meta = load<u32>(metaAt);
  if (((meta >>> 16) & 0xff) == 0 || (meta >>> 24) != <u32>(id >>> INDEX_BITS)) return -ECLOSED;
  if (load<i32>(EPOCH) != seenEpoch) {
    refreshFaults();
    meta = load<u32>(metaAt);
  }
  const mode = (meta >>> 16) & 0xff;
  if ((mode >> FAULT_SHIFT) != 0) return -<i32>(mode >> FAULT_SHIFT);
  if (write && !allowsWrites(<i32>(mode & MODE_MASK))) return -EACCES;
  if (offset < 0 || length < 0) return -EINVAL;
  const size = <i64>rec.size;
  if (offset >= size) return 0;
  const n = <usize>min<i64>(<i64>length, size - offset);
  const at = <usize>rec.mapAddr + <usize>(meta & 0xffff) + <usize>offset;
  if (write) copyBytes(at, ptr, n);
  else copyBytes(ptr, at, n);
  if (load<i32>(EPOCH) != seenEpoch) {
    const fault = faultOf(rec);
    if (fault != 0) return fault;
  }
  return <i32>n;
}

/**
 * memmove of `n` bytes. Up to 64 bytes (a typical record) by loads and then stores, inline: V8
 * compiles memory.copy to a call, which costs more than such a copy itself. The ranges may
 * overlap (a reader's buffer may lie in a region): every load comes before the first store.
 */
// @ts-ignore: decorator
@inline export function copyBytes(dst: usize, src: usize, n: usize): void {
  // One cache line (a common record) first: every address a constant offset. Then whole 16-byte
  // chunks from the start and the last 16 bytes, which may overlap them. Unsigned differences test
  // a range in one comparison.
  if (ASC_FEATURE_SIMD && n == 64) {
    const a = v128.load(src);
    const b = v128.load(src, 16);
    const c = v128.load(src, 32);
    const d = v128.load(src, 48);
    v128.store(dst, a);
    v128.store(dst, b, 16);
    v128.store(dst, c, 32);
    v128.store(dst, d, 48);
  } else if (ASC_FEATURE_SIMD && n - 49 <= 15) {
    const a = v128.load(src);
    const b = v128.load(src, 16);
    const c = v128.load(src, 32);
    const d = v128.load(src + n - 16);
    v128.store(dst, a);
    v128.store(dst, b, 16);
    v128.store(dst, c, 32);
    v128.store(dst + n - 16, d);
  } else if (ASC_FEATURE_SIMD && n - 16 <= 32) {
    const a = v128.load(src);
    const d = v128.load(src + n - 16);
    if (n > 32) {
      const b = v128.load(src, 16);
      v128.store(dst, b, 16);
    }
    v128.store(dst, a);
    v128.store(dst + n - 16, d);
  } else if (n >= 16) {
    memory.copy(dst, src, n);
  } else if (n >= 8) {
    const head = load<u64>(src);
    const tail = load<u64>(src + n - 8);
    store<u64>(dst, head);
    store<u64>(dst + n - 8, tail);
  } else if (n >= 4) {
    const head = load<u32>(src);
    const tail = load<u32>(src + n - 4);
    store<u32>(dst, head);
    store<u32>(dst + n - 4, tail);
  } else if (n > 0) {
    const first = load<u8>(src);
    const middle = load<u8>(src + (n >> 1));
    const last = load<u8>(src + n - 1);
    store<u8>(dst, first);
    store<u8>(dst + (n >> 1), middle);
    store<u8>(dst + n - 1, last);
  }
}

/**
 * Go's Seek: the new position for `offset` from the start (whence 0), from `position` (1) or from
 * the end (2). A position past the end is allowed (reads there return 0); a negative one is -EINVAL.
 */
export function regionSeek(id: i32, position: f64, offset: f64, whence: i32): f64 {
  const rec = usableRecord(id);
  if (rec == null) return refusal;
  if (!isFinite(offset) || offset != Math.floor(offset) || !(position >= 0) || position != Math.floor(position)) return -EINVAL;
  let base: f64;
  if (whence == 0) base = 0;
  else if (whence == 1) base = position;
  else if (whence == 2) base = <f64>rec.size;
  else return -EINVAL;
  const next = base + offset;
  if (!(next >= 0) || next > 9007199254740991) return -EINVAL;
  return next;
}

/** Where the epoch word lives, so that a host copying bytes itself can tell a fault during the copy. */
export function epochAddress(): usize {
  return EPOCH;
}

export function liveRegionCount(): i32 {
  return liveRegions;
}

/** Bytes mapped by live regions, in whole pages. */
export function liveMappedBytes(): u64 {
  return liveMapped;
}

/** Bytes of live regions, as their sizes add up. */
export function liveRegionBytes(): u64 {
  return liveBytes;
}
