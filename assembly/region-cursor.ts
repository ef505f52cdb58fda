// MemoryRegionReader / MemoryRegionWriter for AssemblyScript guests. The spans and seek come
// from the region table, as for the JavaScript API; these copy the bytes.
//
// readAt and writeAt are inlined into their callers, and cheap: a cursor keeps what the region
// table last told it about its region (where its bytes are, how many), valid as long as no
// region was closed and no mapping faulted since (tableSnapshot: one load), and checks only the
// offset against it. Anything else (the first call, a closed region, a fault, an offset past the
// end) takes regionCopy, which checks everything. Fields are read through raw pointers: each
// managed temporary of an inlined call would be spilled to the runtime's shadow stack at every call.

import { ECLOSED } from "./errors";
import { MemoryRegion } from "./memory-region";
import { copyBytes, epochIs, regionAddress, regionCheck, regionCopy, regionSeek, regionSize, tableSnapshot } from "./region-table";

class RegionCursor {
  protected position: i64 = 0;
  /** The tableSnapshot() the cached view was checked against; 0 (with size 0) when there is none. */
  private validAt: u64 = 0;
  /** The address of the region's first byte, and its size, as of validAt. */
  private base: usize = 0;
  private size: u32 = 0;
  constructor(protected region: MemoryRegion) {}

  /** whence 0 from the start, 1 from the current position, 2 from the end; the new position or a negated error code. */
  seek(offset: i64, whence: i32 = 0): i64 {
    if (this.region.regionId == 0) return -ECLOSED;
    const next = regionSeek(this.region.regionId, <f64>this.position, <f64>offset, whence);
    if (next >= 0) this.position = <i64>next;
    return <i64>next;
  }
}

/**
 * Copies between the region of the cursor at `cursor` at `off` and the bytes of the Uint8Array at
 * `p`; the count or a negated error code. The fast path: all of p fits at `off` in the cached view,
 * and the view is current (a writer only caches a region it may write). A reader checks that after
 * it copied, once for both (no region closed and no fault came since the view was checked, nor
 * during the copy): the bytes may then be stale, but they only reach p, which the whole check
 * then overwrites, and the cached size keeps the copy inside the memory. A writer checks before
 * (its bytes must never land in a range that is no longer its region) and after (a fault).
 */
// @ts-ignore: decorator
@inline function cursorCopy(cursor: usize, off: i64, p: usize, write: bool): i32 {
  const n = load<i32>(p, offsetof<Uint8Array>("byteLength"));
  // Unsigned: a negative offset is past any end.
  const end = <u64>off + <u64>n;
  if (end <= <u64>load<u32>(cursor, offsetof<RegionCursor>("size")) && <u64>off <= end) {
    const ptr = load<usize>(p, offsetof<Uint8Array>("dataStart"));
    const at = load<usize>(cursor, offsetof<RegionCursor>("base")) + <usize>off;
    const validAt = load<u64>(cursor, offsetof<RegionCursor>("validAt"));
    if (!write) {
      copyBytes(ptr, at, <usize>n);
      if (tableSnapshot() == validAt) return n;
    } else {
      const snapshot = tableSnapshot();
      if (snapshot == validAt) {
        copyBytes(at, ptr, <usize>n);
        return epochIs(snapshot) ? n : faultDuringCopy(cursor, n);
      }
    }
  }
  return checkedCopy(cursor, off, p, write);
}

/** The region's fault (it came during the copy: bytes read are zeros, written ones may be lost), or `n`. */
function faultDuringCopy(cursor: usize, n: i32): i32 {
  const fault = regionCheck(regionIdAt(cursor));
  return fault != 0 && fault != -ECLOSED ? fault : n;
}

/** The whole check (regionCopy), and on success the view cached for the next calls. */
function checkedCopy(cursor: usize, off: i64, p: usize, write: bool): i32 {
  const id = regionIdAt(cursor);
  if (id == 0) return -ECLOSED;
  const snapshot = tableSnapshot();
  const n = regionCopy(id, off, load<usize>(p, offsetof<Uint8Array>("dataStart")), load<i32>(p, offsetof<Uint8Array>("byteLength")), write);
  if (n >= 0 && epochIs(snapshot)) {
    store<usize>(cursor, regionAddress(id), offsetof<RegionCursor>("base"));
    store<u32>(cursor, regionSize(id), offsetof<RegionCursor>("size"));
    store<u64>(cursor, snapshot, offsetof<RegionCursor>("validAt"));
  }
  return n;
}

/** The region id of a cursor's region (0 once closed). */
// @ts-ignore: decorator
@inline function regionIdAt(cursor: usize): i32 {
  return changetype<MemoryRegion>(load<usize>(cursor, offsetof<RegionCursor>("region"))).regionId;
}

export class MemoryRegionReader extends RegionCursor {
  /** Copies min(p.length, size - off) bytes at `off` into p; the count (0 at the end) or a negated error code. */
  // @ts-ignore: decorator
  @inline readAt(p: Uint8Array, off: i64): i32 {
    return cursorCopy(changetype<usize>(this), off, changetype<usize>(p), false);
  }

  read(p: Uint8Array): i32 {
    const n = this.readAt(p, this.position);
    if (n > 0) this.position += n;
    return n;
  }
}

export class MemoryRegionWriter extends RegionCursor {
  /** Writes the bytes of p that fit at `off`; the count or a negated error code (EACCES on a read-only region). */
  // @ts-ignore: decorator
  @inline writeAt(p: Uint8Array, off: i64): i32 {
    return cursorCopy(changetype<usize>(this), off, changetype<usize>(p), true);
  }

  write(p: Uint8Array): i32 {
    const n = this.writeAt(p, this.position);
    if (n > 0) this.position += n;
    return n;
  }
}
