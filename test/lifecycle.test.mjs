// Lifecycle: map/close cycles leave nothing behind; unreachable regions are unmapped by the GC.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createMmf, openFile, MemoryRegionReader, MmfHost, MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../build/host/index.js";
import { backend, collectGarbage, mapsOf, openFds, pattern, realMappingTest, rss, tempDir, writeFile } from "./helpers.mjs";

const dir = tempDir();
const bytes = pattern(1 << 20, 5);
// npm run test:reliability sets MMF_RELIABILITY=1 for the long runs.
const LONG = process.env.MMF_RELIABILITY === "1";
const CYCLES = LONG ? 100_000 : 10_000;
const UNCLOSED = LONG ? 10_000 : 1000;

test(`${CYCLES} map/close cycles leave stats at zero and descriptors and RSS flat`, async () => {
  const path = writeFile(dir, "cycles.bin", bytes);
  const file = openFile(path, "r+");
  const mmf = createMmf();
  const modes = [MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE];
  // Warm up, so that one-time allocations are not counted.
  for (let i = 0; i < 200; i++) mmf.newMemoryRegion(file, modes[i % 3], i * 37, 65536).close();
  await collectGarbage();
  const fds = openFds();
  const rssBefore = rss();
  const memoryBefore = mmf.memory.buffer.byteLength;
  const p = new Uint8Array(16);
  for (let i = 0; i < CYCLES; i++) {
    const region = mmf.newMemoryRegion(file, modes[i % 3], (i * 4099) % (bytes.length - 65536), 65536);
    new MemoryRegionReader(region).readAt(p, 100);
    region.data()[0]; // touch
    region.close();
  }
  await collectGarbage(); // garbage of the JavaScript heap is not what this measures
  const grew = rss() - rssBefore;
  console.log(`  [${backend}] ${CYCLES} cycles: stats ${JSON.stringify(mmf.stats())}, fds ${fds} -> ${openFds()}, RSS +${(grew / 2 ** 20).toFixed(1)} MiB, memory ${memoryBefore} -> ${mmf.memory.buffer.byteLength}`);
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  assert.is(openFds(), fds);
  assert.ok(grew < 8 * 2 ** 20, `RSS grew by ${grew}`);
  assert.is(mmf.memory.buffer.byteLength, memoryBefore, "closed regions' memory is reused");
  file.close();
});

test(`${UNCLOSED} regions that become unreachable are unmapped by the FinalizationRegistry`, async () => {
  const path = writeFile(dir, "gc.bin", bytes);
  const file = openFile(path, "r");
  const mmf = createMmf();
  mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 4096).close();
  await collectGarbage();
  const fds = openFds();
  const rssBefore = rss();
  (() => {
    for (let i = 0; i < UNCLOSED; i++) mmf.newMemoryRegion(file, MEM_READ_ONLY, i, 4096);
  })();
  assert.is(mmf.stats().regions, UNCLOSED);
  await collectGarbage();
  const grew = rss() - rssBefore;
  console.log(`  [${backend}] ${UNCLOSED} unclosed regions, after GC: ${JSON.stringify(mmf.stats())}, fds ${fds} -> ${openFds()}, RSS +${(grew / 2 ** 20).toFixed(1)} MiB, maps of the file ${mapsOf(path).length}`);
  assert.is(mmf.stats().regions, 0);
  assert.is(mmf.stats().mappedBytes, 0);
  assert.is(openFds(), fds);
  assert.is(mapsOf(path).length, 0);
  assert.ok(grew < 16 * 2 ** 20, `RSS grew by ${grew}`);
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
  const host = new MmfHost();
  host.attach(memory);
  const path = writeFile(dir, "moving.bin", bytes);
  const handle = host.grant(path, "r");
  const ps = host.pageSize;
  assert.is(host.imports.map(handle, 0n, ps, ps, 0), 0);
  moved = true;
  assert.is(host.imports.map(handle, 0n, 4 * ps, ps, 0), -7, "EIO: refused");
  assert.is(host.imports.sync(ps, ps, 0), -7);
  assert.is(host.imports.unmap(ps, ps), -7);
  assert.equal(new Uint8Array(other.buffer, 4 * ps, 16), new Uint8Array(16), "nothing was mapped into the other memory");
  host.close();
});

test("a reader keeps its region alive", async () => {
  const path = writeFile(dir, "keep.bin", bytes);
  const file = openFile(path, "r");
  const mmf = createMmf();
  const reader = (() => new MemoryRegionReader(mmf.newMemoryRegion(file, MEM_READ_ONLY, 10, 100)))();
  await collectGarbage();
  assert.is(mmf.stats().regions, 1);
  const p = new Uint8Array(5);
  assert.is(reader.readAt(p, 0), 5);
  assert.equal(p, bytes.subarray(10, 15));
  file.close();
});

test.run();
