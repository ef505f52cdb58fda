// MemoryRegionReader / MemoryRegionWriter for AssemblyScript guests. The spans and seek come
// from the region table, as for the JavaScript API; these copy the bytes.

import { ECLOSED } from "./errors";
import { MemoryRegion } from "./memory-region";
import { regionCopy, regionSeek } from "./region-table";

class RegionCursor {
  protected position: i64 = 0;
  constructor(protected region: MemoryRegion) {}

  /** whence 0 from the start, 1 from the current position, 2 from the end; the new position or a negated error code. */
  seek(offset: i64, whence: i32 = 0): i64 {
    if (this.region.regionId == 0) return -ECLOSED;
    const next = regionSeek(this.region.regionId, <f64>this.position, <f64>offset, whence);
    if (next >= 0) this.position = <i64>next;
    return <i64>next;
  }

  /** Copies between the region at `off` and [ptr, ptr+length); the count or a negated error code. */
  protected copy(off: i64, ptr: usize, length: i32, write: bool): i32 {
    const id = this.region.regionId;
    return id == 0 ? -ECLOSED : regionCopy(id, off, ptr, length, write);
  }
}

export class MemoryRegionReader extends RegionCursor {
  /** Copies min(p.length, size - off) bytes at `off` into p; the count (0 at the end) or a negated error code. */
  readAt(p: Uint8Array, off: i64): i32 {
    return this.copy(off, p.dataStart, p.length, false);
  }

  read(p: Uint8Array): i32 {
    const n = this.readAt(p, this.position);
    if (n > 0) this.position += n;
    return n;
  }
}

export class MemoryRegionWriter extends RegionCursor {
  /** Writes the bytes of p that fit at `off`; the count or a negated error code (EACCES on a read-only region). */
  writeAt(p: Uint8Array, off: i64): i32 {
    return this.copy(off, p.dataStart, p.length, true);
  }

  write(p: Uint8Array): i32 {
    const n = this.writeAt(p, this.position);
    if (n > 0) this.position += n;
    return n;
  }
}
