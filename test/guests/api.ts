// A test guest that drives the AssemblyScript library (wasm-mmf/assembly) the way a guest author
// would. Each export returns a value or a negated error code that the uvu suite checks.
import {
  openFile, newMemoryRegion, fileFromHandle, useMemoryRegion, MemoryRegion, MemoryRegionReader, MemoryRegionWriter,
  MappedFile, MEM_READ_ONLY, MEM_READWRITE, ECLOSED, EINVAL, errorName, errorMessage,
  ADVICE_NORMAL, ADVICE_RANDOM, ADVICE_SEQUENTIAL, ADVICE_WILLNEED, ADVICE_HUGEPAGE,
} from "wasm-mmf/assembly";

/** 0 when `path` opens with `flags`, else the error code. */
export function openError(path: string, flags: string): i32 {
  const opened = openFile(path, flags);
  if (!opened.ok) return opened.error;
  opened.value!.close();
  return 0;
}

export function errorNameOf(code: i32): string {
  return errorName(code);
}

export function errorMessageOf(code: i32): string {
  return errorMessage(code);
}

function mapFile(file: MappedFile, mode: i32, offset: i64, size: i64): MemoryRegion | null {
  const mapped = newMemoryRegion(file, mode, offset, size);
  lastError = mapped.error;
  return mapped.value;
}
let lastError: i32 = 0;

/** Byte `at` of a region of `path` through a reader, or a negated error code. */
export function readByte(path: string, mode: i32, offset: i64, size: i64, at: i64): i32 {
  const opened = openFile(path, "r+");
  if (!opened.ok) return -opened.error;
  const file = opened.value!;
  const region = mapFile(file, mode, offset, size);
  file.close();
  if (region == null) return -lastError;
  const p = new Uint8Array(1);
  const n = new MemoryRegionReader(region).readAt(p, at);
  const direct = at < region.size() ? load<u8>(region.data() + <usize>at) : 0;
  region.close();
  if (n < 0) return n;
  if (n == 0) return -1000; // past the end
  return p[0] == direct ? p[0] : -2000;
}

/** Writes `value` at `at` through a writer; the count or a negated error code. */
export function writeByte(path: string, mode: i32, offset: i64, at: i64, value: u8): i32 {
  const opened = openFile(path, "r+");
  if (!opened.ok) return -opened.error;
  const region = mapFile(opened.value!, mode, offset, 0);
  opened.value!.close();
  if (region == null) return -lastError;
  const p = new Uint8Array(1);
  p[0] = value;
  const n = new MemoryRegionWriter(region).writeAt(p, at);
  region.flush();
  region.close();
  return n;
}

/** Close twice, then every use: 0 when all behave, else the number of the step that did not. */
export function lifecycle(path: string): i32 {
  const opened = openFile(path, "r");
  if (!opened.ok) return 100 + opened.error;
  const region = mapFile(opened.value!, MEM_READ_ONLY, 3, 10);
  if (region == null) return 200 + lastError;
  const reader = new MemoryRegionReader(region);
  if (region.close() != 0) return 1;
  if (region.close() != 0) return 2;
  if (region.size() != 0 || region.data() != 0) return 3;
  if (region.flush() != -ECLOSED) return 4;
  if (reader.readAt(new Uint8Array(1), 0) != -ECLOSED) return 5;
  if (reader.seek(0, 0) != -ECLOSED) return 6;
  const bad = newMemoryRegion(opened.value!, 3, 0, 0);
  if (bad.ok || bad.error != EINVAL) return 7;
  if (opened.value!.close() != 0 || opened.value!.close() != 0) return 8;
  return 0;
}

/** Maps `count` regions and drops them unclosed, for the collector to unmap. */
export function leakRegions(path: string, count: i32): i32 {
  const opened = openFile(path, "r");
  if (!opened.ok) return -opened.error;
  for (let i = 0; i < count; i++) {
    const region = mapFile(opened.value!, MEM_READ_ONLY, i, 100);
    if (region == null) return -lastError;
    useMemoryRegion(region);
  }
  return 0;
}

const held: MemoryRegion[] = [];

/** Maps a granted handle and keeps the region; its index, or a negated error code. */
export function holdHandle(handle: i32, mode: i32, offset: i64, size: i64): i32 {
  const region = mapFile(fileFromHandle(handle), mode, offset, size);
  if (region == null) return -lastError;
  held.push(region);
  return held.length - 1;
}

/** Maps a path and keeps the region; its index, or a negated error code. */
export function holdPath(path: string, flags: string, mode: i32): i32 {
  const opened = openFile(path, flags);
  if (!opened.ok) return -opened.error;
  const region = mapFile(opened.value!, mode, 0, 0);
  opened.value!.close();
  if (region == null) return -lastError;
  held.push(region);
  return held.length - 1;
}

/** The address of a held region's first byte in this module's memory. */
export function heldAddress(index: i32): usize {
  return held[index].data();
}

/** advise() on a held region with the ADVICE_* constant of that name; 0 or a negated error code. */
export function adviseHeld(index: i32, name: string): i32 {
  let advice = -1;
  if (name == "normal") advice = ADVICE_NORMAL;
  else if (name == "random") advice = ADVICE_RANDOM;
  else if (name == "sequential") advice = ADVICE_SEQUENTIAL;
  else if (name == "willneed") advice = ADVICE_WILLNEED;
  else if (name == "hugepage") advice = ADVICE_HUGEPAGE;
  return held[index].advise(advice);
}

export function heldByte(index: i32, at: i64): i32 {
  return load<u8>(held[index].data() + <usize>at);
}

/** A raw store, as any guest code may do, bypassing writers. */
export function pokeHeld(index: i32, at: i64, value: u8): void {
  store<u8>(held[index].data() + <usize>at, value);
}

export function writeHeld(index: i32, at: i64, value: u8): i32 {
  const p = new Uint8Array(1);
  p[0] = value;
  return new MemoryRegionWriter(held[index]).writeAt(p, at);
}

/** 0, or the negated error code the held region reports (-ETRUNCATED once its file shrank). */
export function checkHeld(index: i32): i32 {
  return held[index].check();
}

/** A reader's readAt of one byte: the count or a negated error code. */
export function readHeld(index: i32, at: i64): i32 {
  return new MemoryRegionReader(held[index]).readAt(new Uint8Array(1), at);
}

/** Closes one held region: 0, or the negated code close() answers (the region's fault, say). */
export function closeHeldAt(index: i32): i32 {
  return held[index].close();
}

/** A reader's readAt of a whole page into a fresh buffer: the count or a negated error code. */
export function readPageHeld(index: i32, at: i64, pageSize: i32): i32 {
  return new MemoryRegionReader(held[index]).readAt(new Uint8Array(pageSize), at);
}

/** A writer's writeAt of a page of `value` bytes: the count or a negated error code. */
export function writePageHeld(index: i32, at: i64, pageSize: i32, value: u8): i32 {
  const p = new Uint8Array(pageSize);
  p.fill(value);
  return new MemoryRegionWriter(held[index]).writeAt(p, at);
}

export function closeHeld(): void {
  for (let i = 0; i < held.length; i++) held[i].close();
  held.length = 0;
}
