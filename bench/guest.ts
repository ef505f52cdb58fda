// The benchmark guest: the Wasm side of every measurement (npm run bench). Built twice: with the
// `mmf` imports (native and emulated backends, through MmfHost) and as a pure-WASI reactor whose
// "mapping" reads the file with fd_pread (dist/bench/guest-wasi.wasm).
import {
  fileFromHandle, newMemoryRegion, openFile, MemoryRegion, MemoryRegionReader, MemoryRegionWriter, MappedFile,
  MEM_READ_ONLY, MEM_READWRITE, REGION_POPULATE,
} from "wasm-mmf/assembly";

let region: MemoryRegion | null = null;
let reader: MemoryRegionReader | null = null;
let writer: MemoryRegionWriter | null = null;
const buffer = new Uint8Array(64);

// The file a granted handle was wrapped in: kept reachable, because the collector closes a
// MappedFile it frees, and with it the host's grant.
let granted: MappedFile | null = null;

let populate = false;
let advice = -1;

/** Options for the next maps: MAP_POPULATE, and madvise advice (-1 = none). */
export function setMapOptions(withPopulate: bool, withAdvice: i32): void {
  populate = withPopulate;
  advice = withAdvice;
}

function hold(file: MappedFile, writable: bool, offset: i64, size: i64): usize {
  const mapped = newMemoryRegion(file, writable ? MEM_READWRITE : MEM_READ_ONLY, offset, size, populate ? REGION_POPULATE : 0);
  if (!mapped.ok) return 0;
  const r = mapped.value!;
  if (advice >= 0) r.advise(advice);
  region = r;
  reader = new MemoryRegionReader(r);
  writer = new MemoryRegionWriter(r);
  return r.data();
}

/** Maps a granted handle; the address of the first byte, or 0. */
export function mapHandle(handle: i32, writable: bool, offset: i64, size: i64): usize {
  if (granted == null || granted!.fd() != handle) granted = fileFromHandle(handle);
  return hold(granted!, writable, offset, size);
}

/** Opens and maps a path (the WASI build); the address of the first byte, or 0. */
export function mapPath(path: string, writable: bool, offset: i64, size: i64): usize {
  const opened = openFile(path, writable ? "r+" : "r");
  if (!opened.ok) return 0;
  const addr = hold(opened.value!, writable, offset, size);
  opened.value!.close();
  return addr;
}

/**
 * `count` cycles of map + touch + close of `size` bytes of a granted file, all in Wasm (the map
 * cycle floor's counterpart): the sum of the first bytes, or a negated error code.
 */
export function mapCycles(handle: i32, size: i64, count: i32): i64 {
  if (granted == null || granted!.fd() != handle) granted = fileFromHandle(handle);
  let sum: i64 = 0;
  for (let i = 0; i < count; i++) {
    const mapped = newMemoryRegion(granted!, MEM_READ_ONLY, 0, size);
    if (!mapped.ok) return -<i64>mapped.error;
    const r = mapped.value!;
    sum += <i64>load<u8>(r.data());
    const closed = r.close();
    if (closed < 0) return <i64>closed;
  }
  return sum;
}

export function flushRegion(): i32 {
  return region == null ? -1 : region!.flush(false);
}

export function closeRegion(): void {
  if (region != null) region!.close();
  region = null;
  reader = null;
  writer = null;
}

/** Grows the memory by `bytes` and returns the address of the new space (for copy-in). */
export function reserve(bytes: usize): usize {
  const pages = <i32>((bytes + 0xffff) >> 16);
  const before = memory.grow(pages);
  return before < 0 ? 0 : <usize>before << 16;
}

export function readByte(addr: usize): i32 {
  return load<u8>(addr);
}

/** Sum of the u64 words of [addr, addr+len): scalar loads, four independent sums. */
export function sumU64(addr: usize, len: usize): u64 {
  let a: u64 = 0, b: u64 = 0, c: u64 = 0, d: u64 = 0;
  const end = addr + (len & ~31);
  for (let p = addr; p < end; p += 32) {
    a += load<u64>(p);
    b += load<u64>(p, 8);
    c += load<u64>(p, 16);
    d += load<u64>(p, 24);
  }
  let sum = a + b + c + d;
  for (let p = end; p < addr + (len & ~7); p += 8) sum += load<u64>(p);
  return sum;
}

/** The same sum with 128-bit SIMD, four vectors at a time. */
export function sumV128(addr: usize, len: usize): u64 {
  let a = i64x2.splat(0);
  let b = i64x2.splat(0);
  let c = i64x2.splat(0);
  let d = i64x2.splat(0);
  const end = addr + (len & ~63);
  for (let p = addr; p < end; p += 64) {
    a = i64x2.add(a, v128.load(p));
    b = i64x2.add(b, v128.load(p, 16));
    c = i64x2.add(c, v128.load(p, 32));
    d = i64x2.add(d, v128.load(p, 48));
  }
  const s = i64x2.add(i64x2.add(a, b), i64x2.add(c, d));
  return <u64>(i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1)) + sumU64(end, len & 63);
}

function next(x: u32): u32 {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

/**
 * `count` reads of 64 bytes at random offsets by raw Wasm loads: four v128 loads and stores into
 * the buffer (the floor of randomReadAts; memory.copy would be slower: V8 compiles it to a call).
 */
export function randomLoads(addr: usize, size: usize, count: i32, seed: u32): u64 {
  let x = seed;
  let sum: u64 = 0;
  const span = <u32>(size - 64);
  for (let i = 0; i < count; i++) {
    x = next(x);
    const from = addr + <usize>(x % span);
    const to = buffer.dataStart;
    v128.store(to, v128.load(from));
    v128.store(to, v128.load(from, 16), 16);
    v128.store(to, v128.load(from, 32), 32);
    v128.store(to, v128.load(from, 48), 48);
    sum += load<u64>(buffer.dataStart);
  }
  return sum;
}

/** The same reads through a MemoryRegionReader's readAt (bounds and mode checked each time). */
export function randomReadAts(size: usize, count: i32, seed: u32): u64 {
  let x = seed;
  let sum: u64 = 0;
  const span = <u32>(size - 64);
  const r = reader!;
  for (let i = 0; i < count; i++) {
    x = next(x);
    r.readAt(buffer, <i64>(x % span));
    sum += load<u64>(buffer.dataStart);
  }
  return sum;
}

/** `count` writeAt calls of 64 bytes at random offsets. */
export function randomWriteAts(size: usize, count: i32, seed: u32): i32 {
  let x = seed;
  const span = <u32>(size - 64);
  const w = writer!;
  let n = 0;
  for (let i = 0; i < count; i++) {
    x = next(x);
    n += w.writeAt(buffer, <i64>(x % span));
  }
  return n;
}

/** Writes `len` bytes of a pattern at addr, eight at a time. */
export function fill(addr: usize, len: usize, seed: u64): void {
  const end = addr + (len & ~7);
  let v = seed;
  for (let p = addr; p < end; p += 8) {
    store<u64>(p, v);
    v += 0x9e3779b97f4a7c15;
  }
}

