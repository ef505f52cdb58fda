// @ts-check
// No silent integer wrap-around at the JavaScript boundary (issue 9, point 7): descriptors,
// whence, async flags, buffer lengths and guest addresses outside their range are refused with a
// typed error, never read modulo 2^32; addresses at or above 2 GiB are unsigned everywhere.
// MMF_RELIABILITY=1 also reads more than 2 GiB in one readAt.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import {
  createMmf,
  openFile,
  MemoryRegionReader,
  MemoryRegionWriter,
  MmfHost,
  MEM_READ_ONLY,
  MEM_READWRITE,
  ErrorCodes,
  MapFlags,
} from "../dist/host/index.js";
import { coreOf } from "./internals.mjs";
import { backend, longOnEmulatedTest, loadGuest, mapsOf, pattern, readBytes, sparseFile, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("boundaries");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const GiB = 2 ** 30;
const bytes = pattern(65536, 9);
const EINVAL = -ErrorCodes.EINVAL;

test("fd() values that are not a descriptor are EBADF, never descriptor n", () => {
  const path = track.path(writeFile(dir, "fd.bin", bytes));
  const file = track(openFile(path, "r"));
  const n = file.fd();
  const mmf = track(createMmf());
  const values = [
    2 ** 32 + n,
    2 ** 33 + n,
    -(2 ** 32) + n,
    2 ** 31,
    -0,
    NaN,
    Infinity,
    -Infinity,
    -1,
    n + 0.5,
    BigInt(n),
    String(n),
    null,
    undefined,
    { valueOf: () => n },
  ];
  for (const value of values) {
    // @ts-expect-error: hostile value, on purpose
    throwsCode(() => mmf.newMemoryRegion({ fd: () => value }, MEM_READ_ONLY), "EBADF");
    // @ts-expect-error: hostile value, on purpose
    throwsCode(() => coreOf(mmf).host.addHandle(value, false), "EBADF");
  }
  console.log(`  [${backend}] ${values.length} bad fd() values (descriptor n = ${n}): each EBADF`);
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  if (backend === "native") assert.is(mapsOf(path).length, 0, "descriptor n was mapped");
  // The real descriptor still maps.
  const region = track(mmf.newMemoryRegion({ fd: () => n }, MEM_READ_ONLY, 0, 16));
  assert.equal(region.data(), bytes.subarray(0, 16));
  region.close();
  file.close();
});

test("seek whence outside 0, 1, 2 is EINVAL (2^32 is not whence 0) and the position stays", () => {
  const file = track(openFile(writeFile(dir, "seek.bin", bytes), "r"));
  const region = createMmf().newMemoryRegion(file, MEM_READ_ONLY);
  const reader = new MemoryRegionReader(region);
  assert.is(reader.seek(100, 0), 100);
  for (const whence of [2 ** 32, 2 ** 32 + 1, 2 ** 32 + 2, -(2 ** 32), 2 ** 31, -1, 3, 0.5, NaN, Infinity, "0", 0n, 1n, null, true]) {
    // @ts-expect-error: hostile value, on purpose
    throwsCode(() => reader.seek(0, whence), "EINVAL");
    assert.is(reader.seek(0, 1), 100, `whence ${String(whence)} moved the position`);
  }
  assert.is(reader.seek(-6, 2), bytes.length - 6);
  region.close();
  file.close();
});

test("mode and advice values outside their range are EINVAL, never read modulo 2^32", () => {
  const path = track.path(writeFile(dir, "mode.bin", bytes));
  const file = track(openFile(path, "r+"));
  const mmf = track(createMmf());
  for (const mode of [
    2 ** 32 + MEM_READ_ONLY,
    2 ** 32 + MEM_READWRITE,
    -(2 ** 32) + MEM_READ_ONLY,
    MEM_READ_ONLY + 0.5,
    NaN,
    String(MEM_READ_ONLY),
    BigInt(MEM_READ_ONLY),
    null,
  ]) {
    // @ts-expect-error: hostile value, on purpose
    throwsCode(() => mmf.newMemoryRegion(file, mode), "EINVAL");
  }
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  // @ts-expect-error: hostile value, on purpose
  for (const advice of [2 ** 32, 0, 1, "Random", null, 0n]) throwsCode(() => region.advise(advice), "EINVAL");
  region.advise("random");
  region.close();
  file.close();
});

test("flush and flushRange take a boolean async, nothing else", () => {
  const path = track.path(writeFile(dir, "flush.bin", bytes));
  const file = track(openFile(path, "r+"));
  const region = createMmf().newMemoryRegion(file, MEM_READWRITE);
  for (const async of [2 ** 32, 1, 0, "false", 0n, null]) {
    // @ts-expect-error: hostile value, on purpose
    throwsCode(() => region.flush(async), "EINVAL");
    // @ts-expect-error: hostile value, on purpose
    throwsCode(() => region.flushRange(0, 10, async), "EINVAL");
  }
  region.flush(true);
  region.flush(false);
  region.flushRange(0, 10);
  region.close();
  file.close();
});

test("readAt and writeAt with buffers of 4 GiB and 2 GiB: the bytes that fit, never 0", () => {
  const path = track.path(writeFile(dir, "big-buffer.bin", bytes));
  const file = track(openFile(path, "r+"));
  const region = createMmf().newMemoryRegion(file, MEM_READWRITE);
  const reader = new MemoryRegionReader(region);
  const writer = new MemoryRegionWriter(region);
  const figures = [];
  for (const length of [2 ** 32, 2 ** 32 - 1, 2 ** 31, 2 ** 31 - 1]) {
    const p = new Uint8Array(length);
    const now = region.data().slice();
    assert.is(reader.readAt(p, bytes.length - 100), 100, `readAt with a buffer of ${length} bytes`);
    assert.equal(p.subarray(0, 100), now.subarray(bytes.length - 100));
    assert.is(reader.readAt(p, 0), bytes.length);
    assert.equal(p.subarray(0, bytes.length), now);
    p.fill(length % 251, 0, 100);
    assert.is(writer.writeAt(p, bytes.length - 100), 100, `writeAt with a buffer of ${length} bytes`);
    assert.equal(region.data().subarray(bytes.length - 100), new Uint8Array(100).fill(length % 251));
    figures.push(length);
  }
  region.flush();
  assert.equal(readBytes(path).subarray(bytes.length - 100), new Uint8Array(100).fill((2 ** 31 - 1) % 251));
  console.log(`  [${backend}] readAt/writeAt with buffers of ${figures.join(", ")} bytes: the 100 bytes that fit`);
  region.close();
  file.close();
});

longOnEmulatedTest(test, "a region larger than 2 GiB: offsets and counts past 2^31 (a full read with MMF_RELIABILITY=1)", () => {
  const size = 2 * GiB + 8192;
  const tail = pattern(8192, 4);
  const path = track.path(sparseFile(dir, "over-2g.bin", size, { [2 * GiB]: tail, [2 * GiB - 5]: Uint8Array.of(1, 2, 3, 4, 5) }));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  assert.is(region.size(), size);
  const reader = new MemoryRegionReader(region);
  const p = new Uint8Array(2 ** 32);
  assert.is(reader.readAt(p, 2 * GiB - 5), 8197);
  assert.equal(p.subarray(0, 5), Uint8Array.of(1, 2, 3, 4, 5));
  assert.equal(p.subarray(5, 8197), tail);
  assert.is(reader.seek(0, 2), size);
  assert.is(reader.seek(-8192, 1), 2 * GiB);
  if (LONG) {
    const started = performance.now();
    assert.is(reader.readAt(p, 0), size, "one readAt of more than 2 GiB");
    assert.equal(p.subarray(2 * GiB, size), tail);
    console.log(`  [${backend}] one readAt of ${size} bytes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  region.close();
  file.close();
});

test("raw imports: addresses, lengths, flags and advice outside i32/u32 are EINVAL, never wrapped", () => {
  const path = track.path(writeFile(dir, "raw.bin", bytes));
  const memory = new WebAssembly.Memory({ initial: 8 });
  const host = track(new MmfHost());
  host.attach(memory);
  const imp = host.imports;
  const ps = host.pageSize;
  const handle = host.grant(path, "r+");
  const badU32 = [2 ** 32 + ps, 2 ** 32, -(2 ** 31) - ps, -(2 ** 32) + ps, ps + 0.5, NaN, Infinity, String(ps), BigInt(ps), null, undefined];
  const badI32 = [2 ** 32, 2 ** 32 + 1, 2 ** 31, -(2 ** 31) - 1, 0.5, NaN, "1", 1n, null];
  let refused = 0;
  const refuses = (call, what) => {
    assert.is(call(), EINVAL, what);
    assert.is(host.mappingCount, 0, `${what}: something was mapped`);
    refused++;
  };
  for (const v of badU32) {
    // @ts-expect-error: hostile value, on purpose
    refuses(() => imp.map(handle, 0n, v, ps, 0), `map addr ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    refuses(() => imp.map(handle, 0n, ps, v, 0), `map len ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    refuses(() => imp.open(v, 4, 0), `open pathPtr ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    refuses(() => imp.watch(v), `watch ${String(v)}`);
  }
  for (const v of badI32) {
    // @ts-expect-error: hostile value, on purpose
    refuses(() => imp.map(handle, 0n, ps, ps, v), `map flags ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    refuses(() => imp.open(0, 4, v), `open mode ${String(v)}`);
  }
  // A live mapping for the calls that need one.
  assert.is(imp.map(handle, 0n, ps, ps, MapFlags.SHARED), 0);
  for (const v of badU32) {
    // @ts-expect-error: hostile value, on purpose
    assert.is(imp.unmap(v, ps), EINVAL, `unmap addr ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    assert.is(imp.sync(ps, v, 0), EINVAL, `sync len ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    assert.is(imp.advise(v, ps, 0), EINVAL, `advise addr ${String(v)}`);
    // @ts-expect-error: hostile value, on purpose
    assert.is(imp.truncated(ps, v), EINVAL, `truncated len ${String(v)}`);
    refused += 4;
  }
  for (const v of badI32) {
    // @ts-expect-error: hostile value, on purpose
    assert.is(imp.sync(ps, ps, v), EINVAL, `sync async ${String(v)}`);
    refused++;
  }
  for (const v of [...badI32, 5, -1]) {
    // @ts-expect-error: hostile value, on purpose
    assert.is(imp.advise(ps, ps, v), EINVAL, `advise ${String(v)}`);
    refused++;
  }
  assert.is(host.mappingCount, 1);
  assert.is(imp.unmap(ps, ps), 0);
  console.log(`  [${backend}] ${refused} out-of-range raw import arguments: each EINVAL, nothing mapped`);
  host.close();
});

test("guest addresses at and above 2 GiB are unsigned: raw imports, the JavaScript API and an AssemblyScript guest", async () => {
  const path = track.path(writeFile(dir, "high.bin", bytes));
  // Raw imports: Wasm passes an address >= 2^31 as a negative i32.
  const memory = new WebAssembly.Memory({ initial: 32768 + 4 });
  const host = track(new MmfHost());
  host.attach(memory);
  const ps = host.pageSize;
  const handle = host.grant(path, "r+");
  const high = 2 ** 31 + 2 * ps;
  assert.is(host.imports.map(handle, 0n, high | 0, 2 * ps, MapFlags.SHARED), 0);
  assert.equal(new Uint8Array(memory.buffer, high, 64), bytes.subarray(0, 64));
  assert.is(host.imports.map(handle, 0n, high, ps, 0), EINVAL, "the same address as a u32 overlaps the live mapping");
  assert.is(host.imports.sync(high | 0, 2 * ps, 0), 0);
  assert.is(host.imports.unmap(high | 0, 2 * ps), 0);
  assert.is(host.mappingCount, 0);
  host.close();

  // The JavaScript API: a region placed above 2 GiB.
  const mmf = track(createMmf());
  mmf.memory.grow(32768);
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 100, 20000));
  assert.ok(region.data().byteOffset >= 2 ** 31, `placed at ${region.data().byteOffset}`);
  const p = new Uint8Array(8);
  assert.is(new MemoryRegionReader(region).readAt(p, 19992), 8);
  assert.equal(p, bytes.subarray(20092, 20100));
  assert.is(new MemoryRegionWriter(region).writeAt(Uint8Array.of(7, 7), 0), 2);
  region.flushRange(0, 2);
  region.advise("random");
  region.close();
  assert.equal(readBytes(path).subarray(100, 102), Uint8Array.of(7, 7));
  file.close();

  // An AssemblyScript guest whose memory holds 2 GiB before it maps.
  const data = track.dir();
  writeFile(data, "g.bin", bytes);
  const { call, host: guestHost, exports } = track(await loadGuest("api", { preopens: { "/data": data } }));
  exports.memory.grow(32768);
  const grown = exports.memory.buffer.byteLength;
  const index = call("holdPath", "/data/g.bin", "r+", MEM_READWRITE);
  assert.ok(index >= 0, `holdPath: ${index}`);
  // Every page below `grown` is the runtime's or the host's: the region sits above 2 GiB.
  assert.ok(exports.memory.buffer.byteLength > grown, "the region was placed in pages the guest grew");
  assert.is(call("heldByte", index, 60000n), bytes[60000]);
  assert.is(call("writeHeld", index, 5n, 0xab), 1);
  assert.is(call("readHeld", index, 65535n), 1);
  call("closeHeld");
  assert.is(guestHost.mappingCount, 0);
  assert.is(readBytes(join(data, "g.bin"))[5], 0xab);
  guestHost.close();
});

test.run();
