// @ts-check
// Lifecycle: map/close cycles leave nothing behind; unreachable regions are unmapped by the GC.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createMmf, openFile, ErrorCodes, MemoryRegionReader, MmfHost, MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../dist/host/index.js";
import { coreOf } from "./internals.mjs";
import { backend, collectGarbage, mapsOf, openFds, pattern, realMappingTest, rss, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("lifecycle");
const track = tracked(test);

const dir = tempDir();
const bytes = pattern(1 << 20, 5);
// npm run test:reliability sets MMF_RELIABILITY=1 for the long runs.
const LONG = process.env.MMF_RELIABILITY === "1";
const CYCLES = LONG ? 100_000 : 5000;
const UNCLOSED = LONG ? 10_000 : 1000;

const MiB = 2 ** 20;

/**
 * Runs `round` five times, measuring after each (after a full collection). A leak grows with
 * every round; the allocators' own high-water marks (V8 growing its heap's pages, malloc arenas,
 * Wasm pages that never shrink) level off, though one step of theirs can land late (13 MiB seen
 * on the emulated backend after 80,000 cycles, flat for the 140,000 after). So: descriptors
 * equal, the JavaScript heap in use flat, and RSS outside V8's heap within 16 MiB over rounds 3-5
 * (a leak of 400 bytes a cycle in the long run, 8 KiB in the short one, fails it). Prints the figures.
 */
async function rounds(label, round) {
  const figures = [];
  for (let i = 0; i < 5; i++) {
    round(i);
    await collectGarbage();
    const { heapUsed, heapTotal } = process.memoryUsage();
    figures.push({ fds: openFds(), rss: rss(), heap: heapUsed, native: rss() - heapTotal });
  }
  const fmt = (f) =>
    `fds ${f.fds}, RSS ${(f.rss / MiB).toFixed(1)} MiB (outside V8's heap ${(f.native / MiB).toFixed(1)}), heap in use ${(f.heap / MiB).toFixed(1)} MiB`;
  console.log(`  [${backend}] ${label}: after round 1 ${fmt(figures[0])}; after round 5 ${fmt(figures[4])}`);
  const [first, , third, , last] = figures;
  assert.is(last.fds, first.fds, "descriptors");
  assert.ok(last.heap - first.heap < 2 * MiB, `the JavaScript heap in use grew by ${last.heap - first.heap}`);
  assert.ok(
    last.native - third.native < 16 * MiB,
    `RSS outside V8's heap still grows: +${((last.native - third.native) / MiB).toFixed(1)} MiB over rounds 3-5`,
  );
}

test(`${CYCLES} map/close cycles leave stats at zero and descriptors and RSS flat`, async () => {
  const path = track.path(writeFile(dir, "cycles.bin", bytes));
  const file = track(openFile(path, "r+"));
  const mmf = track(createMmf());
  const modes = /** @type {import("../dist/host/index.js").RegionMode[]} */ ([MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE]);
  const p = new Uint8Array(16);
  let memoryAfterFirst = 0;
  await rounds(`${CYCLES} map/close cycles`, (round) => {
    for (let i = 0; i < CYCLES / 5; i++) {
      const region = mmf.newMemoryRegion(file, modes[i % 3], (i * 4099) % (bytes.length - 65536), 65536);
      new MemoryRegionReader(region).readAt(p, 100);
      region.data()[0]; // touch
      region.close();
    }
    if (round === 0) memoryAfterFirst = mmf.memory.buffer.byteLength;
  });
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  assert.is(mmf.memory.buffer.byteLength, memoryAfterFirst, "closed regions' memory is reused");
  file.close();
});

test(`${UNCLOSED} regions that become unreachable are unmapped by the FinalizationRegistry`, async () => {
  const path = track.path(writeFile(dir, "gc.bin", bytes));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  await rounds(`${UNCLOSED} unclosed regions left to the collector`, () => {
    for (let i = 0; i < UNCLOSED / 5; i++) mmf.newMemoryRegion(file, MEM_READ_ONLY, i, 4096);
  });
  console.log(`  [${backend}] after the collector: ${JSON.stringify(mmf.stats())}, maps of the file ${mapsOf(path).length}`);
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  if (backend === "native") assert.is(mapsOf(path).length, 0);
  file.close();
});

test("a closed region's id never reaches the regions that reuse its record (127 reuses of one record)", () => {
  // Through the core module's exports, as a host holding a stale id would call them: the
  // JavaScript and AssemblyScript APIs forget an id at close, so only the id itself can tell.
  const path = track.path(writeFile(dir, "ids.bin", bytes));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  const { exports, host } = coreOf(mmf);
  const handle = host.addHandle(file.fd(), false);
  const ECLOSED = -5;
  const closed = [];
  for (let i = 1; i <= 127; i++) {
    const id = exports.region_open(handle, MEM_READ_ONLY, 0n, BigInt(i), 0);
    assert.ok(id > 0, `open ${i}: ${id}`);
    // The low 24 bits index the record: the same one each time, so only the generation differs.
    if (closed.length > 0) assert.is(id & 0xffffff, closed[0] & 0xffffff, "the record was reused");
    assert.not.ok(closed.includes(id), `open ${i} got the id of a closed region`);
    for (const old of closed) {
      assert.is(exports.region_check(old), ECLOSED, `a closed id (${old}) answered for the live region ${id}`);
      assert.is(exports.region_size(old), 0);
    }
    assert.is(exports.region_size(id), i);
    assert.is(exports.region_close(id), 0);
    closed.push(id);
    // The id the record's next region will get means nothing until then: the record is dead.
    const next = ((((id >>> 24) + 1) & 0x7f) << 24) | (id & 0xffffff);
    assert.is(exports.region_check(next), ECLOSED, "an id not handed out yet answered");
    assert.is(exports.region_size(next), 0);
    assert.is(exports.region_close(next), ECLOSED);
  }
  assert.is(exports.region_close(closed[0]), ECLOSED);
  assert.is(exports.stats_regions(), 0);
  host.removeHandle(handle);
  mmf.close();
  file.close();
});

test("a closed region stays closed when its id comes round again (128 reuses of its record)", () => {
  const path = track.path(writeFile(dir, "wrap.bin", bytes));
  const file = track(openFile(path, "r+"));
  const mmf = track(createMmf());
  const closed = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 4096));
  const reader = new MemoryRegionReader(closed);
  closed.close();
  // The generation has seven bits: 127 more regions in the record, and the next one has the old id.
  for (let i = 0; i < 127; i++) mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 10).close();
  const live = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 4096, 4096));
  assert.is(closed.size(), 0);
  for (const use of [
    () => closed.data(),
    () => closed.flush(),
    () => closed.advise("random"),
    () => reader.readAt(new Uint8Array(1), 0),
    () => reader.seek(0, 2),
  ]) {
    throwsCode(use, "ECLOSED");
  }
  closed.close(); // closes nothing: above all not the live region with the same id
  assert.equal(live.data(), bytes.subarray(4096, 8192), "the live region survived");
  assert.is(mmf.stats().regions, 1);
  live.close();
  mmf.close();
  file.close();
});

test("a reader keeps its region alive", async () => {
  const path = track.path(writeFile(dir, "keep.bin", bytes));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  const reader = (() => new MemoryRegionReader(mmf.newMemoryRegion(file, MEM_READ_ONLY, 10, 100)))();
  await collectGarbage();
  assert.is(mmf.stats().regions, 1);
  const p = new Uint8Array(5);
  assert.is(reader.readAt(p, 0), 5);
  assert.equal(p, bytes.subarray(10, 15));
  file.close();
});

realMappingTest(test, "a memory whose base address moved is detected and refused, never mapped into", () => {
  // V8 on 64-bit reserves a memory's whole range up front, so a real move cannot be provoked
  // here: this memory's buffer getter hands out another memory's buffer after the first map,
  // as a host without guard regions would after a grow that reallocated.
  const other = new WebAssembly.Memory({ initial: 8 });
  let moved = false;
  class MovingMemory extends WebAssembly.Memory {
    get buffer() {
      return moved ? other.buffer : super.buffer;
    }
  }
  const memory = new MovingMemory({ initial: 8 });
  const host = track(new MmfHost());
  host.attach(memory);
  const path = track.path(writeFile(dir, "moving.bin", bytes));
  const handle = host.grant(path, "r");
  const ps = host.pageSize;
  assert.is(host.imports.map(handle, 0n, ps, ps, 0), 0);
  moved = true;
  assert.is(host.imports.map(handle, 0n, 4 * ps, ps, 0), -ErrorCodes.EIO, "EIO: refused");
  assert.is(host.imports.sync(ps, ps, 0), -ErrorCodes.EIO);
  assert.is(host.imports.unmap(ps, ps), -ErrorCodes.EIO);
  assert.equal(new Uint8Array(other.buffer, 4 * ps, 16), new Uint8Array(16), "nothing was mapped into the other memory");
  host.close();
});

test.run();
