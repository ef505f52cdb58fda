// @ts-check
// Semantics of regions, readers and writers against real files (issue 2, points 1-5 and 7).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  createMmf,
  openFile,
  MemoryRegionReader,
  MemoryRegionWriter,
  useMemoryRegion,
  MmfError,
  MEM_READ_ONLY,
  MEM_READ_PRIVATE,
  MEM_READWRITE,
  MEM_COPY_ON_WRITE,
  newMemoryRegion,
  stats,
} from "../dist/host/index.js";
import { coreOf } from "./internals.mjs";
import { longOnEmulatedTest, pattern, readBytes, realMappingTest, tempDir, throwsCode, underQemu, writeFile, sparseFile, tracked } from "./helpers.mjs";

const test = suite("regions");
const track = tracked(test);

const MODES = { MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE };
const dir = tempDir();
const mmf = createMmf();
const SIZE = 200_000;
const bytes = pattern(SIZE, 7);

function fresh(name = `f${Math.random().toString(36).slice(2)}.bin`, content = bytes) {
  return writeFile(dir, name, content);
}

test("data() equals the file's bytes for every mode and unaligned offsets", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  for (const [name, mode] of /** @type {Array<[string, import("../dist/host/index.js").RegionMode]>} */ (Object.entries(MODES))) {
    for (const [offset, size] of [
      [0, 0],
      [67746, 1000],
      [4095, 2],
      [4096, 4096],
      [1, SIZE - 1],
      [SIZE - 1, 1],
      [67746, 0],
    ]) {
      const region = mmf.newMemoryRegion(file, mode, offset, size);
      const want = bytes.subarray(offset, size === 0 ? SIZE : offset + size);
      assert.is(region.size(), want.length, `${name} ${offset}+${size}`);
      assert.equal(region.data(), want, `${name} ${offset}+${size}`);
      region.close();
    }
  }
  file.close();
});

test("a Mappable can be any object with fd(), bigints work for offset and size", () => {
  const path = fresh();
  const fd = track.fd(openSync(path, "r"));
  const region = track(mmf.newMemoryRegion({ fd: () => fd }, MEM_READ_ONLY, 67746n, 10n));
  assert.equal(region.data(), bytes.subarray(67746, 67756));
  region.close();
  track.close(fd);
});

test("MEM_READWRITE: writes through data() and writers are in the file after flush and close", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 5000, 10000));
  region.data()[0] = bytes[5000] ^ 0xff;
  const writer = new MemoryRegionWriter(region);
  assert.is(writer.writeAt(new Uint8Array([1, 2, 3]), 100), 3);
  region.flush();
  assert.is(readBytes(path)[5000], bytes[5000] ^ 0xff);
  region.flush(true);
  assert.equal(readBytes(path).subarray(5100, 5103), new Uint8Array([1, 2, 3]), "after flush");
  region.close();
  file.close();
  assert.equal(readBytes(path).subarray(5100, 5103), new Uint8Array([1, 2, 3]), "after close");
});

test("MEM_READWRITE: flush writes back only the pages that changed", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0));
  region.data()[10] = 0x42;
  // Another writer changes a page this region did not touch: write-back must leave it alone.
  const fd = track.fd(openSync(path, "r+"));
  writeSync(fd, new Uint8Array([0x99]), 0, 1, 3 * 4096 + 5);
  track.close(fd);
  region.flush();
  region.close();
  const disk = readBytes(path);
  assert.is(disk[10], 0x42);
  assert.is(disk[3 * 4096 + 5], 0x99, "an unchanged page was written back over another writer's bytes");
  file.close();
});

realMappingTest(test, "MEM_READWRITE: a write through data() is in the file at once (same page cache)", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 5000, 10000));
  region.data()[0] = bytes[5000] ^ 0xff;
  new MemoryRegionWriter(region).writeAt(new Uint8Array([1, 2, 3]), 100);
  const disk = readBytes(path);
  assert.is(disk[5000], bytes[5000] ^ 0xff, "before any flush");
  assert.equal(disk.subarray(5100, 5103), new Uint8Array([1, 2, 3]));
  region.close();
  file.close();
});

realMappingTest(test, "MEM_READ_ONLY sees a later fs.writeSync without remapping", () => {
  const path = fresh();
  const file = track(openFile(path, "r"));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 67746, 100));
  const fd = track.fd(openSync(path, "r+"));
  writeSync(fd, new Uint8Array([0xab, 0xcd]), 0, 2, 67746 + 10);
  track.close(fd);
  assert.is(region.data()[10], 0xab);
  assert.is(region.data()[11], 0xcd);
  region.close();
  file.close();
});

test("MEM_COPY_ON_WRITE: writes show in data() and never reach the file", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_COPY_ON_WRITE, 100, 5000));
  region.data().fill(0x5a);
  const writer = new MemoryRegionWriter(region);
  assert.is(writer.writeAt(new Uint8Array([9, 9]), 4998), 2);
  assert.is(region.data()[0], 0x5a);
  assert.is(region.data()[4999], 9);
  region.flush();
  assert.equal(readBytes(path), bytes, "after flush");
  region.close();
  file.close();
  assert.equal(readBytes(path), bytes, "after close");
});

test("MEM_READ_PRIVATE and MEM_READ_ONLY: readable, writers refuse with EACCES", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  for (const mode of /** @type {const} */ ([MEM_READ_PRIVATE, MEM_READ_ONLY])) {
    const region = mmf.newMemoryRegion(file, mode, 10, 100);
    const p = new Uint8Array(4);
    assert.is(new MemoryRegionReader(region).readAt(p, 0), 4);
    assert.equal(p, bytes.subarray(10, 14));
    const writer = new MemoryRegionWriter(region);
    throwsCode(() => writer.writeAt(new Uint8Array(1), 0), "EACCES");
    throwsCode(() => writer.write(new Uint8Array(1)), "EACCES");
    region.close();
  }
  assert.equal(readBytes(path), bytes);
  file.close();
});

test("data().buffer is the Wasm memory's, and views stay valid while other regions map, grow and close", () => {
  const path = fresh();
  const big = track.path(sparseFile(dir, "big.bin", 16 * 1024 * 1024, { [12 * 1024 * 1024]: new Uint8Array([42]) }));
  const file = track(openFile(path, "r"));
  const bigFile = track(openFile(big, "r"));
  const own = track(createMmf());
  const region = track(own.newMemoryRegion(file, MEM_READ_ONLY, 67746, 1000));
  const view = region.data();
  assert.ok(view.buffer === own.memory.buffer, "view over the Wasm memory");
  const pagesBefore = own.memory.buffer.byteLength;
  const others = [];
  for (let i = 0; i < 3; i++) others.push(own.newMemoryRegion(bigFile, MEM_READ_ONLY, 0, 0));
  assert.ok(own.memory.buffer.byteLength > pagesBefore, "the memory grew");
  assert.is(others[2].data()[12 * 1024 * 1024], 42);
  for (const o of others) o.close();
  own.newMemoryRegion(bigFile, MEM_READ_ONLY, 4096, 8192).close();
  assert.is(view.length, 1000);
  assert.equal(view, bytes.subarray(67746, 68746));
  assert.ok(region.data() === view);
  useMemoryRegion(region);
  region.close();
  file.close();
  bigFile.close();
});

test("bounds: past the end is ERANGE, size 0 is the rest, the end gives an empty region", () => {
  const path = fresh();
  const file = track(openFile(path, "r"));
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, SIZE + 1), "ERANGE");
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY, SIZE - 10, 11), "ERANGE");
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY, SIZE + 1, 0), "ERANGE");
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY, Number.MAX_SAFE_INTEGER, 1), "ERANGE");
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY, 1n << 63n, 1), "ERANGE");
  const end = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, SIZE, 0));
  assert.is(end.size(), 0);
  assert.is(end.data().length, 0);
  assert.is(new MemoryRegionReader(end).readAt(new Uint8Array(4), 0), 0);
  end.close();
  const empty = track(openFile(fresh("empty.bin", new Uint8Array(0)), "r+"));
  const e = track(mmf.newMemoryRegion(empty, MEM_READWRITE, 0, 0));
  assert.is(e.size(), 0);
  e.flush();
  e.close();
  throwsCode(() => mmf.newMemoryRegion(empty, MEM_READ_ONLY, 0, 1), "ERANGE");
  throwsCode(() => mmf.newMemoryRegion(empty, MEM_READ_ONLY, 1, 0), "ERANGE");
  empty.close();
  file.close();
});

test("readers: readAt copies min(p.length, size - off), 0 at the end; read and seek follow Go", () => {
  const path = fresh();
  const file = track(openFile(path, "r"));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 1000, 100));
  const reader = new MemoryRegionReader(region);
  const p = new Uint8Array(30);
  assert.is(reader.readAt(p, 90), 10);
  assert.equal(p.subarray(0, 10), bytes.subarray(1090, 1100));
  assert.is(reader.readAt(p, 100), 0);
  assert.is(reader.readAt(p, 5000), 0);
  assert.is(reader.readAt(p, 10n), 30);
  throwsCode(() => reader.readAt(p, -1), "EINVAL");
  throwsCode(() => reader.readAt(p, 0.5), "EINVAL");
  // @ts-expect-error: bad input, on purpose
  throwsCode(() => reader.readAt([1, 2], 0), "EINVAL");
  assert.is(reader.read(p), 30);
  assert.is(reader.read(p), 30);
  assert.equal(p, bytes.subarray(1030, 1060));
  assert.is(reader.seek(-5, 2), 95);
  assert.is(reader.read(p), 5);
  assert.is(reader.read(p), 0);
  assert.is(reader.seek(10, 0), 10);
  assert.is(reader.seek(5, 1), 15);
  assert.is(reader.seek(500, 0), 500, "past the end is allowed");
  assert.is(reader.read(p), 0);
  throwsCode(() => reader.seek(-1, 0), "EINVAL");
  throwsCode(() => reader.seek(0, 3), "EINVAL");
  region.close();
  file.close();
});

test("writers: writeAt writes what fits and returns the count", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 1000, 100));
  const writer = new MemoryRegionWriter(region);
  assert.is(writer.writeAt(new Uint8Array(30).fill(7), 90), 10);
  assert.is(writer.writeAt(new Uint8Array(3), 100), 0);
  assert.is(writer.seek(95, 0), 95);
  assert.is(writer.write(new Uint8Array(10).fill(8)), 5);
  assert.is(writer.write(new Uint8Array(1)), 0);
  throwsCode(() => writer.writeAt(new Uint8Array(1), -3), "EINVAL");
  region.flush();
  const disk = readBytes(path);
  assert.equal(disk.subarray(1090, 1095), new Uint8Array(5).fill(7));
  assert.equal(disk.subarray(1095, 1100), new Uint8Array(5).fill(8));
  assert.is(disk[1100], bytes[1100], "nothing past the region");
  region.close();
  file.close();
});

test("flushRange writes the pages of a range; advise takes madvise advice; bad ranges and advice are refused", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 100, 0));
  region.data()[5000] = 0xee;
  region.flushRange(4990, 20);
  assert.is(readBytes(path)[5100], 0xee);
  region.flushRange(0, 0, true);
  region.flushRange(0n, BigInt(region.size()));
  throwsCode(() => region.flushRange(0, region.size() + 1), "ERANGE");
  throwsCode(() => region.flushRange(-1, 1), "EINVAL");
  throwsCode(() => region.flushRange(0.5, 1), "EINVAL");
  for (const advice of /** @type {const} */ (["normal", "random", "sequential", "willneed", "hugepage"])) region.advise(advice);
  // @ts-expect-error: bad input, on purpose
  throwsCode(() => region.advise("dontneed"), "EINVAL");
  region.close();
  throwsCode(() => region.flushRange(0, 1), "ECLOSED");
  throwsCode(() => region.advise("random"), "ECLOSED");
  const ro = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 10, { populate: true }));
  assert.equal(ro.data(), bytes.subarray(0, 10));
  ro.flushRange(0, 10); // nothing to write for a read-only region
  ro.close();
  file.close();
});

const populateTest = underQemu
  ? (name, fn) => {
      console.log(`  skipped under qemu-user (it ignores MADV_POPULATE_READ): ${name}`);
      test.skip(name, fn);
    }
  : (name, fn) => realMappingTest(test, name, fn);

populateTest("populate faults every page in at map time", () => {
  const big = track.path(writeFile(dir, "populate.bin", new Uint8Array(64 * 1024 * 1024).fill(1)));
  const file = track(openFile(big, "r"));
  const own = track(createMmf());
  own.newMemoryRegion(file, MEM_READ_ONLY, 0, 4096).close();
  const rss = () => process.memoryUsage().rss;
  const before = rss();
  const lazy = track(own.newMemoryRegion(file, MEM_READ_ONLY));
  const lazyGrowth = rss() - before;
  lazy.close();
  const populated = track(own.newMemoryRegion(file, MEM_READ_ONLY, 0, 0, { populate: true }));
  const populatedGrowth = rss() - before;
  console.log(`  RSS after mapping 64 MiB: lazy +${(lazyGrowth / 2 ** 20).toFixed(1)} MiB, populate +${(populatedGrowth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(lazyGrowth < 8 * 2 ** 20);
  assert.ok(populatedGrowth > 56 * 2 ** 20, "the pages are resident without a touch");
  populated.close();
  file.close();
});

test("close() is idempotent; afterwards size() is 0 and everything else is ECLOSED", () => {
  const path = fresh();
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 100));
  const reader = new MemoryRegionReader(region);
  const writer = new MemoryRegionWriter(region);
  region.close();
  region.close();
  assert.is(region.size(), 0);
  throwsCode(() => region.data(), "ECLOSED");
  throwsCode(() => region.flush(), "ECLOSED");
  throwsCode(() => reader.readAt(new Uint8Array(1), 0), "ECLOSED");
  throwsCode(() => reader.read(new Uint8Array(1)), "ECLOSED");
  throwsCode(() => reader.seek(0), "ECLOSED");
  throwsCode(() => writer.writeAt(new Uint8Array(1), 0), "ECLOSED");
  throwsCode(() => writer.write(new Uint8Array(1)), "ECLOSED");
  file.close();
  file.close();
});

test("bad input gets its MmfError and the instance keeps working", () => {
  const path = fresh();
  const file = track(openFile(path, "r"));
  const rw = track(openFile(fresh(), "r+"));
  const before = mmf.stats();
  const cases = [
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(file, 0), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(file, 3), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY | MEM_READWRITE), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(file, "1"), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(file, 2 ** 32 + 1), "EINVAL"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, -1), "EINVAL"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, -1n), "EINVAL"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, -5), "EINVAL"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, 1.5), "EINVAL"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, NaN), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, "10"), "EINVAL"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, Infinity), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion(null, MEM_READ_ONLY), "EINVAL"],
    // @ts-expect-error: bad input, on purpose
    [() => mmf.newMemoryRegion({}, MEM_READ_ONLY), "EINVAL"],
    [() => mmf.newMemoryRegion({ fd: () => -1 }, MEM_READ_ONLY), "EBADF"],
    [() => mmf.newMemoryRegion({ fd: () => 1.5 }, MEM_READ_ONLY), "EBADF"],
    [() => mmf.newMemoryRegion({ fd: () => 987654 }, MEM_READ_ONLY), "EBADF"],
    [() => mmf.newMemoryRegion(file, MEM_READWRITE), "EACCES"],
    [() => mmf.newMemoryRegion(file, MEM_READ_ONLY, SIZE + 1), "ERANGE"],
    [() => openFile(join(dir, "missing.bin")), "ENOENT"],
    // @ts-expect-error: bad input, on purpose
    [() => openFile(path, "rw"), "EINVAL"],
    [() => openFile(""), "EINVAL"],
  ];
  for (const [fn, code] of cases) {
    const err = throwsCode(fn, code);
    assert.ok(err instanceof MmfError && err instanceof Error);
    assert.ok(err.message.length > 10, err.message);
  }
  // A directory and a pipe are not mappable.
  const sub = join(dir, "subdir");
  mkdirSync(sub, { recursive: true });
  const dfd = track.fd(openSync(sub, "r"));
  throwsCode(() => mmf.newMemoryRegion({ fd: () => dfd }, MEM_READ_ONLY), "EINVAL");
  track.close(dfd);
  assert.equal(mmf.stats(), before, "nothing left mapped");
  const ok = track(mmf.newMemoryRegion(rw, MEM_READWRITE, 67746, 10));
  assert.equal(ok.data(), bytes.subarray(67746, 67756));
  ok.close();
  file.close();
  rw.close();
});

test("maps the host refuses leave nothing behind: no pages, no record (1,000 EACCES maps of 1 MiB)", () => {
  const path = fresh("refused.bin", pattern(2 ** 20, 3));
  const file = track(openFile(path, "r"));
  const own = track(createMmf());
  own.newMemoryRegion(file, MEM_READ_ONLY).close(); // the table and the first pages exist now
  const before = own.memory.buffer.byteLength;
  for (let i = 0; i < 1000; i++) throwsCode(() => own.newMemoryRegion(file, MEM_READWRITE, 0, 2 ** 20), "EACCES");
  assert.is(own.memory.buffer.byteLength, before, "the refused maps' pages were not given back");
  // The record of the first region is the one the next region gets: the refused ones took none for good.
  const { exports, host } = coreOf(own);
  const handle = host.addHandle(file.fd(), false);
  const id = exports.region_open(handle, MEM_READ_ONLY, 0n, 10n, 0);
  host.removeHandle(handle);
  assert.is(id & 0xffffff, 1, `the region got record ${(id & 0xffffff) - 1}, not 0`);
  assert.is(exports.region_close(id), 0);
  own.close();
  file.close();
});

test("a closed MappedFile is EBADF; regions mapped before stay valid", () => {
  const path = fresh();
  const file = track(openFile(path, "r"));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 10));
  file.close();
  assert.is(file.fd(), -1);
  throwsCode(() => file.size(), "EBADF");
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY), "EBADF");
  assert.equal(region.data(), bytes.subarray(0, 10));
  region.close();
});

longOnEmulatedTest(test, "ENOMEM when the 4 GiB address space is full; the instance keeps working", () => {
  const own = track(createMmf());
  const big = track(openFile(sparseFile(dir, "sparse3g.bin", 1.5 * 2 ** 30), "r"));
  const a = track(own.newMemoryRegion(big, MEM_READ_ONLY));
  const b = track(own.newMemoryRegion(big, MEM_READ_ONLY));
  const err = throwsCode(() => own.newMemoryRegion(big, MEM_READ_ONLY), "ENOMEM");
  assert.ok(/address space/.test(err.message), err.message);
  throwsCode(() => own.newMemoryRegion(openFile(sparseFile(dir, "sparse5g.bin", 5 * 2 ** 30), "r"), MEM_READ_ONLY), "ENOMEM");
  assert.is(own.stats().regions, 2);
  a.close();
  const c = track(own.newMemoryRegion(big, MEM_READ_ONLY));
  assert.is(c.size(), 1.5 * 2 ** 30);
  b.close();
  c.close();
  assert.is(own.stats().regions, 0);
  big.close();
});

test("a region larger than the address space is ENOMEM, also past 2^44 bytes, where its page count would wrap to 1", () => {
  // A sparse file of 16 TiB + 4 KiB needs a file system that allows one: tmpfs (/dev/shm).
  if (!existsSync("/dev/shm")) {
    console.log("  no /dev/shm (tmpfs) here: the file over 16 TiB is not tried");
    return;
  }
  const shm = track.path(mkdtempSync("/dev/shm/mmf-test-"));
  try {
    const file = track(openFile(sparseFile(shm, "16t.bin", 2 ** 44 + 4096), "r"));
    const own = track(createMmf());
    for (const size of [0, 2 ** 44 + 4096, 2 ** 32, 2 ** 32 - 4096]) {
      throwsCode(() => own.newMemoryRegion(file, MEM_READ_ONLY, 0, size), "ENOMEM");
    }
    assert.equal(own.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
    own.close();
    file.close();
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
});

test("module-level newMemoryRegion and stats use a default instance", () => {
  const path = fresh();
  const file = track(openFile(path, "r"));
  const before = stats().regions;
  const region = track(newMemoryRegion(file, MEM_READ_ONLY, 3, 3));
  assert.is(stats().regions, before + 1);
  assert.ok(stats().mappedBytes >= 4096);
  assert.equal(region.data(), bytes.subarray(3, 6));
  region.close();
  assert.is(stats().regions, before);
  file.close();
});

test.run();
