// The AssemblyScript-side test suite as a WASI command: the region logic, readers, writers,
// bounds and every mode over the pure-WASI backend. The runner preopens a folder as /fixtures with
// data.bin (200,000 pattern bytes), rw.bin (20,000 pattern bytes) and empty.bin. Prints its own
// "N passed, N failed" line and exits non-zero on failure.
import {
  openFile, newMemoryRegion, newMemoryObject, destroyMemoryObject, MappedFile, MemoryRegion, MemoryRegionReader, MemoryRegionWriter, useMemoryRegion,
  MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE,
  EINVAL, ERANGE, EACCES, ECLOSED, ENOENT, errorName,
} from "../../assembly/index";
import { liveRegionCount } from "../../assembly/region-table";

let passed = 0;
let failed = 0;

function check(name: string, ok: bool): void {
  if (ok) passed++;
  else {
    failed++;
    console.log("FAIL " + name);
  }
}

function checkEq(name: string, got: i64, want: i64): void {
  check(name + " (got " + got.toString() + ", want " + want.toString() + ")", got == want);
}

/** The fixture pattern; test/wasi/fixtures.mjs writes the same bytes. */
function patternByte(i: u32): u8 {
  return <u8>(((i ^ (i >> 8) ^ (i >> 16)) * 31 + 7) & 255);
}

const DATA_SIZE: i64 = 200000;
const RW_SIZE: i64 = 20000;
const MODES: i32[] = [MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE];

function open(path: string, flags: string): MappedFile {
  const r = openFile(path, flags);
  if (!r.ok) {
    console.log("cannot open " + path + ": " + r.message());
    process.exit(2);
  }
  return r.value!;
}

function map(file: MappedFile, mode: i32, offset: i64, size: i64): MemoryRegion | null {
  const r = newMemoryRegion(file, mode, offset, size);
  if (!r.ok) console.log("map " + offset.toString() + "+" + size.toString() + ": " + r.message());
  return r.value;
}

function testEveryModeAndOffset(): void {
  const file = open("/fixtures/data.bin", "r+");
  checkEq("file size", file.size(), DATA_SIZE);
  const offsets: i64[] = [0, 67746, 4095, 4096, 199999];
  for (let m = 0; m < MODES.length; m++) {
    for (let o = 0; o < offsets.length; o++) {
      const offset = offsets[o];
      const region = map(file, MODES[m], offset, 0);
      if (region == null) { check("map mode " + MODES[m].toString(), false); continue; }
      checkEq("size is the rest", region.size(), DATA_SIZE - offset);
      let same = true;
      const n = <i32>region.size();
      for (let i = 0; i < n; i += 997) same = same && load<u8>(region.data() + <usize>i) == patternByte(<u32>(offset + i));
      same = same && load<u8>(region.data() + <usize>(n - 1)) == patternByte(<u32>(offset + n - 1));
      check("data equals the file, mode " + MODES[m].toString() + " offset " + offset.toString(), same);
      region.close();
    }
  }
  file.close();
}

function testBounds(): void {
  const file = open("/fixtures/data.bin", "r");
  checkEq("size past the end", newMemoryRegion(file, MEM_READ_ONLY, 0, DATA_SIZE + 1).error, ERANGE);
  checkEq("offset past the end", newMemoryRegion(file, MEM_READ_ONLY, DATA_SIZE + 1, 0).error, ERANGE);
  checkEq("bad mode", newMemoryRegion(file, 3, 0, 0).error, EINVAL);
  checkEq("negative offset", newMemoryRegion(file, MEM_READ_ONLY, -1, 0).error, EINVAL);
  checkEq("read-write map of a read-only file", newMemoryRegion(file, MEM_READWRITE, 0, 0).error, EACCES);
  const end = map(file, MEM_READ_ONLY, DATA_SIZE, 0);
  check("offset at the end gives an empty region", end != null && end.size() == 0);
  if (end) end.close();
  file.close();
  const empty = open("/fixtures/empty.bin", "r");
  const e = map(empty, MEM_READ_ONLY, 0, 0);
  check("an empty file gives an empty region", e != null && e.size() == 0);
  if (e) e.close();
  checkEq("empty file, size 1", newMemoryRegion(empty, MEM_READ_ONLY, 0, 1).error, ERANGE);
  empty.close();
}

function testReaders(): void {
  const file = open("/fixtures/data.bin", "r");
  const region = map(file, MEM_READ_ONLY, 1000, 100)!;
  const reader = new MemoryRegionReader(region);
  const p = new Uint8Array(30);
  checkEq("readAt near the end copies what is left", reader.readAt(p, 90), 10);
  check("readAt bytes", p[0] == patternByte(1090) && p[9] == patternByte(1099));
  checkEq("readAt at the end", reader.readAt(p, 100), 0);
  checkEq("readAt past the end", reader.readAt(p, 5000), 0);
  checkEq("readAt negative", reader.readAt(p, -1), -EINVAL);
  checkEq("read", reader.read(p), 30);
  checkEq("read again", reader.read(p), 30);
  check("read advances", p[0] == patternByte(1030));
  checkEq("seek from the end", reader.seek(-5, 2), 95);
  checkEq("read the tail", reader.read(p), 5);
  checkEq("read at the end", reader.read(p), 0);
  checkEq("seek current", reader.seek(5, 1), 105);
  checkEq("seek negative", reader.seek(-1, 0), -EINVAL);
  checkEq("seek bad whence", reader.seek(0, 3), -EINVAL);
  region.close();
  file.close();
}

function readBack(at: i64): i32 {
  const file = open("/fixtures/rw.bin", "r");
  const region = map(file, MEM_READ_ONLY, 0, 0)!;
  const b = <i32>load<u8>(region.data() + <usize>at);
  region.close();
  file.close();
  return b;
}

function testWriters(): void {
  const file = open("/fixtures/rw.bin", "r+");
  for (let m = 0; m < 2; m++) {
    const region = map(file, m == 0 ? MEM_READ_ONLY : MEM_READ_PRIVATE, 0, 0)!;
    const p = new Uint8Array(1);
    checkEq("writers refuse on mode " + region.size().toString(), new MemoryRegionWriter(region).writeAt(p, 0), -EACCES);
    region.close();
  }
  // MEM_READWRITE: a writer's bytes and a raw store reach the file (flush, and close without flush).
  const rw = map(file, MEM_READWRITE, 5000, 0)!;
  const w = new MemoryRegionWriter(rw);
  const p = new Uint8Array(3);
  p[0] = 0xa1; p[1] = 0xa2; p[2] = 0xa3;
  checkEq("writeAt", w.writeAt(p, 10), 3);
  checkEq("writeAt past what fits", w.writeAt(p, RW_SIZE - 5000 - 2), 2);
  checkEq("flush", rw.flush(), 0);
  checkEq("flushed byte in the file", readBack(5010), 0xa1);
  store<u8>(rw.data() + 100, 0xb7);
  checkEq("close writes back", rw.close(), 0);
  checkEq("closed without flush, byte in the file", readBack(5100), 0xb7);
  checkEq("the last byte of the file", readBack(RW_SIZE - 1), 0xa2);
  checkEq("the file did not grow", file.size(), RW_SIZE);
  // Write-back covers only the pages that changed: two regions, each changing its own page.
  const a = map(file, MEM_READWRITE, 0, 0)!;
  const b = map(file, MEM_READWRITE, 0, 0)!;
  store<u8>(a.data(), 0x11);
  store<u8>(b.data() + 3 * 4096 + 1, 0x22);
  b.close();
  a.close();
  checkEq("a's page", readBack(0), 0x11);
  checkEq("b's page survives a's write-back", readBack(3 * 4096 + 1), 0x22);
  // ... and only the bytes that changed: two regions changing neighbouring bytes of one page.
  const c = map(file, MEM_READWRITE, 0, 0)!;
  const d = map(file, MEM_READWRITE, 0, 0)!;
  store<u8>(c.data() + 200, 0x33);
  store<u8>(d.data() + 201, 0x44);
  checkEq("d flushes its byte", d.flush(), 0);
  c.close();
  d.close();
  checkEq("c's byte", readBack(200), 0x33);
  checkEq("d's byte in the same page survives c's write-back", readBack(201), 0x44);
  // MEM_COPY_ON_WRITE: private.
  const cow = map(file, MEM_COPY_ON_WRITE, 0, 0)!;
  checkEq("copy-on-write writeAt", new MemoryRegionWriter(cow).writeAt(p, 0), 3);
  check("copy-on-write sees its write", load<u8>(cow.data()) == 0xa1);
  cow.flush();
  cow.close();
  checkEq("copy-on-write never reaches the file", readBack(0), 0x11);
  file.close();
}

function testLifecycle(): void {
  const file = open("/fixtures/data.bin", "r");
  const region = map(file, MEM_READ_ONLY, 3, 10)!;
  const reader = new MemoryRegionReader(region);
  checkEq("close", region.close(), 0);
  checkEq("close again", region.close(), 0);
  checkEq("size after close", region.size(), 0);
  checkEq("flush after close", region.flush(), -ECLOSED);
  checkEq("read after close", reader.readAt(new Uint8Array(1), 0), -ECLOSED);
  const pagesBefore = memory.size();
  for (let i = 0; i < 1000; i++) {
    const r = map(file, MODES[i & 3] == MEM_READWRITE ? MEM_READ_ONLY : MODES[i & 3], i * 7, 4096);
    if (r) r.close();
  }
  checkEq("1000 cycles leave no region", liveRegionCount(), 0);
  checkEq("and reuse the memory", memory.size(), pagesBefore);
  leakRegions(file);
  __collect();
  checkEq("collected regions are unmapped", liveRegionCount(), 0);
  file.close();
}

/** Maps regions and drops them unclosed; in a function of its own so no local still holds one. */
function leakRegions(file: MappedFile): void {
  for (let i = 0; i < 100; i++) useMemoryRegion(map(file, MEM_READ_ONLY, i, 100)!);
}

function testPaths(): void {
  checkEq("missing file", openFile("/fixtures/missing.bin", "r").error, ENOENT);
  checkEq("outside every preopen", openFile("/etc/passwd", "r").error, ENOENT);
  check("no escape with ..", !openFile("/fixtures/../etc/passwd", "r").ok);
  checkEq("bad flags", openFile("/fixtures/data.bin", "rw").error, EINVAL);
  check("error names", errorName(ERANGE) == "ERANGE");
}

/** The pure-WASI build has no named memory objects (docs/abi.md, "Memory objects"): EACCES for each of their calls. */
function testMemoryObjects(): void {
  checkEq("newMemoryObject", newMemoryObject("mmf-wasi", "w+").error, EACCES);
  checkEq("destroyMemoryObject", destroyMemoryObject("mmf-wasi"), -EACCES);
  const opened = openFile("/fixtures/rw.bin", "r+");
  check("rw.bin opens", opened.ok);
  if (opened.ok) {
    checkEq("truncate", opened.value!.truncate(0), -EACCES);
    checkEq("rw.bin keeps its size", opened.value!.size(), 20000);
    opened.value!.close();
  }
}

testEveryModeAndOffset();
testBounds();
testReaders();
testWriters();
testLifecycle();
testPaths();
testMemoryObjects();
console.log(passed.toString() + " passed, " + failed.toString() + " failed");
process.exit(failed > 0 ? 1 : 0);
