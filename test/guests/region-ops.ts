// A test guest for the region operations of ABI version 3 (lock, unlock, residency, remap) through
// the AssemblyScript library, as a guest author calls them. One region at a time, kept in globals;
// each export returns a value or a negated error code that test/region-ops.test.mjs checks.
import { openFile, newMemoryRegion, MemoryRegion, MemoryRegionReader, MappedFile } from "wasm-mmf/assembly";

let file: MappedFile | null = null;
let region: MemoryRegion | null = null;

/** Opens `path` read-write and maps it from `offset` to its end in `mode`; 0 or a negated code. */
export function mapWhole(path: string, mode: i32, offset: i64): i32 {
  const opened = openFile(path, "r+");
  if (!opened.ok) return -opened.error;
  file = opened.value;
  const mapped = newMemoryRegion(file!, mode, offset, 0);
  if (!mapped.ok) return -mapped.error;
  region = mapped.value;
  return 0;
}

export function lock(): i32 {
  return region!.lock();
}

export function unlock(): i32 {
  return region!.unlock();
}

/** Resident pages, or a negated code. */
export function resident(): i32 {
  return region!.residency();
}

/** Resident pages counted from the page map (-1000 if it disagrees with the count), or a negated code. */
export function residentByMap(): i32 {
  const pages = new Uint8Array(region!.pageCount());
  const n = region!.residency(pages);
  if (n < 0) return n;
  let ones = 0;
  for (let i = 0; i < pages.length; i++) ones += pages[i];
  return ones == n ? n : -1000;
}

/** residency into a page map one byte too short: ERANGE expected. */
export function residencyShortMap(): i32 {
  return region!.residency(new Uint8Array(region!.pageCount() - 1));
}

export function remap(newSize: i64): i32 {
  return region!.remap(file!, newSize);
}

/**
 * A reader reads (and so caches where the region is), the region is remapped, the same reader reads
 * byte `at` of the grown region: the byte, -1000 past the end, or a negated code.
 */
export function remapUnderReader(newSize: i64, at: i64): i32 {
  const reader = new MemoryRegionReader(region!);
  const one = new Uint8Array(1);
  const first = reader.readAt(one, 0);
  if (first != 1) return first < 0 ? first : -1000;
  const rc = region!.remap(file!, newSize);
  if (rc < 0) return rc;
  const n = reader.readAt(one, at);
  return n < 0 ? n : n == 0 ? -1000 : one[0];
}

export function address(): usize {
  return region!.data();
}

export function size(): i64 {
  return region!.size();
}

export function byteAt(at: i64): i32 {
  return load<u8>(region!.data() + <usize>at);
}

export function storeAt(at: i64, value: u8): void {
  store<u8>(region!.data() + <usize>at, value);
}

export function flush(): i32 {
  return region!.flush();
}

/** Closes the region and the file; what close() of the region answered. */
export function closeAll(): i32 {
  const rc = region!.close();
  file!.close();
  return rc;
}
