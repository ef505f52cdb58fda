// MemoryRegion.stream(): a Readable over a region's bytes. Each chunk is a copy, so it stays valid
// whatever happens to the region later (a Writable may still hold it after the stream ended); the
// stream holds the region, so it stays mapped (not collected) until the stream ends.
import { Readable } from "node:stream";
import { MmfError } from "./errors.js";
import type { MemoryRegion } from "./memory-region.js";
import { MemoryRegionReader } from "./region-cursor.js";

export interface RegionStreamOptions {
  /** The first byte (default 0). */
  start?: number;
  /** The byte after the last (default: the region's size). */
  end?: number;
  /** Bytes per chunk (default 64 KiB). */
  chunkSize?: number;
  /** Close the region when the stream ends, fails or is destroyed (default false: you close it). */
  closeRegion?: boolean;
}

const DEFAULT_CHUNK = 64 * 1024;

function checkedInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new MmfError("EINVAL", `MemoryRegion.stream: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

export function regionStream(region: MemoryRegion, options: RegionStreamOptions = {}): Readable {
  const size = region.size();
  const end = checkedInteger("end", options.end ?? size, 0, size);
  const start = checkedInteger("start", options.start ?? 0, 0, end);
  const chunkSize = checkedInteger("chunkSize", options.chunkSize ?? DEFAULT_CHUNK, 1, 2 ** 30);
  const reader = new MemoryRegionReader(region);
  let position = start;
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      try {
        if (position >= end) {
          this.push(null);
          return;
        }
        const chunk = Buffer.allocUnsafe(Math.min(chunkSize, end - position));
        // Checks the region on every chunk: closed or truncated under us fails the stream with MmfError.
        const n = reader.readAt(chunk, position);
        position += n;
        this.push(n === 0 ? null : chunk.subarray(0, n));
      } catch (err) {
        this.destroy(err as Error);
      }
    },
    destroy(err, callback) {
      if (options.closeRegion) {
        try {
          region.close();
        } catch (closeErr) {
          err ??= closeErr as Error;
        }
      }
      callback(err);
    },
  });
}
