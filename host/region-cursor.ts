// MemoryRegionReader and MemoryRegionWriter (Go's io.ReaderAt/Reader/Seeker and their writer
// twins). Bounds and mode checks are the core module's; these copy the bytes it allows.
import { MmfError } from "./errors.js";
import type { MemoryRegion } from "./memory-region.js";

function checkBuffer(operation: string, p: unknown): asserts p is Uint8Array {
  if (!(p instanceof Uint8Array)) throw new MmfError("EINVAL", `${operation}: p must be a Uint8Array`);
}

/** A position in a region; holding the region keeps it from being collected. */
class RegionCursor {
  protected readonly region: MemoryRegion;
  protected position = 0;

  constructor(region: MemoryRegion) {
    this.region = region;
  }

  /** Moves the position: whence 0 from the start, 1 from the current position, 2 from the end. */
  seek(offset: number | bigint, whence = 0): number {
    this.position = this.region.seek(`${this.constructor.name}.seek`, this.position, offset, whence);
    return this.position;
  }
}

export class MemoryRegionReader extends RegionCursor {
  /** Copies min(p.length, size - off) bytes at `off` into p; returns the count (0 at or past the end). */
  readAt(p: Uint8Array, off: number | bigint): number {
    checkBuffer("MemoryRegionReader.readAt", p);
    const n = this.region.span("MemoryRegionReader.readAt", off, p.length, false);
    if (n > 0) {
      const start = Number(off);
      p.set(this.region.view().subarray(start, start + n));
    }
    return this.region.copied("MemoryRegionReader.readAt", n);
  }

  /** Reads at the current position and advances it. */
  read(p: Uint8Array): number {
    const n = this.readAt(p, this.position);
    this.position += n;
    return n;
  }
}

export class MemoryRegionWriter extends RegionCursor {
  /** Writes the bytes of p that fit at `off`; returns the count. EACCES on a read-only region. */
  writeAt(p: Uint8Array, off: number | bigint): number {
    checkBuffer("MemoryRegionWriter.writeAt", p);
    const n = this.region.span("MemoryRegionWriter.writeAt", off, p.length, true);
    if (n > 0) this.region.view().set(n === p.length ? p : p.subarray(0, n), Number(off));
    return this.region.copied("MemoryRegionWriter.writeAt", n);
  }

  /** Writes at the current position and advances it. */
  write(p: Uint8Array): number {
    const n = this.writeAt(p, this.position);
    this.position += n;
    return n;
  }
}
