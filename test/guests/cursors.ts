// A test guest for the readers' and writers' cached view of their region (issue 14): the same
// reader or writer used again and again, across closes, faults and every length and offset.
import {
  fileFromHandle, newMemoryRegion, MemoryRegion, MemoryRegionReader, MemoryRegionWriter, MappedFile,
  MEM_READ_ONLY, MEM_COPY_ON_WRITE,
} from "wasm-mmf/assembly";

const regions: MemoryRegion[] = [];
const readers: MemoryRegionReader[] = [];
const writers: MemoryRegionWriter[] = [];
const files: MappedFile[] = [];

/** Maps `size` bytes of a granted handle from `offset` in `mode`, with a reader and a writer; the index or a negated error code. */
export function hold(handle: i32, mode: i32, offset: i64, size: i64): i32 {
  const file = fileFromHandle(handle);
  files.push(file); // kept reachable: the collector closes a MappedFile it frees, and the grant with it
  const mapped = newMemoryRegion(file, mode, offset, size);
  if (!mapped.ok) return -mapped.error;
  regions.push(mapped.value!);
  readers.push(new MemoryRegionReader(mapped.value!));
  writers.push(new MemoryRegionWriter(mapped.value!));
  return regions.length - 1;
}

export function closeRegion(index: i32): i32 {
  return regions[index].close();
}

export function regionCheck(index: i32): i32 {
  return regions[index].check();
}

export function regionByte(index: i32, at: i64): i32 {
  return load<u8>(regions[index].data() + <usize>at);
}

/** The held reader's readAt of `length` bytes at `at`: the count or a negated error code; the bytes must be the region's. */
export function readAt(index: i32, at: i64, length: i32): i32 {
  const p = new Uint8Array(length);
  const n = readers[index].readAt(p, at);
  if (n <= 0) return n;
  const data = regions[index].data();
  for (let i = 0; i < n; i++) if (p[i] != load<u8>(data + <usize>at + <usize>i)) return -1000 - i;
  return n;
}

/** The held writer's writeAt of `length` bytes of `value` at `at`: the count or a negated error code. */
export function writeAt(index: i32, at: i64, length: i32, value: u8): i32 {
  const p = new Uint8Array(length);
  p.fill(value);
  return writers[index].writeAt(p, at);
}

/** A Uint8Array of `length` bytes whose bytes are [addr, addr+length) of this memory (inside a region, say). */
function viewAt(addr: usize, length: i32): Uint8Array {
  const p = new Uint8Array(length);
  store<usize>(changetype<usize>(p), addr, offsetof<Uint8Array>("dataStart"));
  return p;
}

/**
 * Every length from 0 to 130 at offsets near the start, inside and past the end of region `index`
 * (a MEM_COPY_ON_WRITE one: writes stay private), through one reader and one writer, against
 * byte-wise copies; then copies whose buffer overlaps the bytes they copy. 0, or the failing step.
 */
export function sweep(index: i32): i32 {
  const region = regions[index];
  const reader = readers[index];
  const writer = writers[index];
  const size = <i32>region.size();
  const data = region.data();
  const offsets: i32[] = [0, 1, 15, 16, 17, 63, 64, 4095, size / 2, size - 200, size - 130, size - 64, size - 17, size - 1, size, size + 1];
  let step = 0;
  for (let k = 0; k < offsets.length; k++) {
    const at = offsets[k];
    for (let length = 0; length <= 130; length++) {
      step++;
      const want = min<i32>(length, max<i32>(size - at, 0));
      const p = new Uint8Array(length);
      p.fill(0xee);
      if (reader.readAt(p, at) != want) return step;
      for (let i = 0; i < length; i++) if (p[i] != (i < want ? load<u8>(data + <usize>(at + i)) : 0xee)) return step;
      for (let i = 0; i < length; i++) p[i] = <u8>(i * 7 + length + k);
      if (writer.writeAt(p, at) != want) return 100000 + step;
      for (let i = 0; i < want; i++) if (load<u8>(data + <usize>(at + i)) != p[i]) return 100000 + step;
    }
  }
  // Overlapping: the buffer is the region's own bytes, shifted by `shift`; the result is as memmove's.
  const shifts: i32[] = [-17, -16, -1, 1, 3, 16, 33];
  for (let k = 0; k < shifts.length; k++) {
    for (let length = 1; length <= 80; length++) {
      step++;
      const at = 1000;
      for (let i = 0; i < 300; i++) store<u8>(data + <usize>(900 + i), <u8>(i * 13 + length));
      const expected = new Uint8Array(length);
      for (let i = 0; i < length; i++) expected[i] = load<u8>(data + <usize>(at + i));
      const p = viewAt(data + <usize>(at + shifts[k]), length);
      if (reader.readAt(p, at) != length) return 200000 + step;
      for (let i = 0; i < length; i++) if (load<u8>(data + <usize>(at + shifts[k] + i)) != expected[i]) return 200000 + step;
      for (let i = 0; i < length; i++) expected[i] = load<u8>(data + <usize>(at + shifts[k] + i));
      if (writer.writeAt(p, at) != length) return 300000 + step;
      for (let i = 0; i < length; i++) if (load<u8>(data + <usize>(at + i)) != expected[i]) return 300000 + step;
    }
  }
  // Offsets no region has: negative, and past 2^32.
  if (reader.readAt(new Uint8Array(8), -1) != -1) return 400001;
  if (reader.readAt(new Uint8Array(8), -8) != -1) return 400002;
  if (writer.writeAt(new Uint8Array(8), -8) != -1) return 400003;
  if (reader.readAt(new Uint8Array(8), 0x100000000) != 0) return 400004;
  return 0;
}

export { MEM_READ_ONLY, MEM_COPY_ON_WRITE };
