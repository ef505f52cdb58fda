// Lifecycle: map/close cycles leave nothing behind; unreachable regions are unmapped by the GC.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createMmf, openFile, MemoryRegionReader, MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../build/host/index.js";
import { collectGarbage, openFds, pattern, rss, tempDir, writeFile } from "./helpers.mjs";

const dir = tempDir();
const bytes = pattern(1 << 20, 5);

test("10,000 map/close cycles leave stats at zero and descriptors and RSS flat", async () => {
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
  for (let i = 0; i < 10_000; i++) {
    const region = mmf.newMemoryRegion(file, modes[i % 3], (i * 4099) % (bytes.length - 65536), 65536);
    new MemoryRegionReader(region).readAt(p, 100);
    region.data()[0]; // touch
    region.close();
  }
  await collectGarbage(); // garbage of the JavaScript heap is not what this measures
  const grew = rss() - rssBefore;
  console.log(`  10,000 cycles: stats ${JSON.stringify(mmf.stats())}, fds ${fds} -> ${openFds()}, RSS +${(grew / 2 ** 20).toFixed(1)} MiB, memory ${memoryBefore} -> ${mmf.memory.buffer.byteLength}`);
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  assert.is(openFds(), fds);
  assert.ok(grew < 8 * 2 ** 20, `RSS grew by ${grew}`);
  assert.is(mmf.memory.buffer.byteLength, memoryBefore, "closed regions' memory is reused");
  file.close();
});

test("regions that become unreachable are unmapped by the FinalizationRegistry", async () => {
  const path = writeFile(dir, "gc.bin", bytes);
  const file = openFile(path, "r");
  const mmf = createMmf();
  (() => {
    for (let i = 0; i < 1000; i++) mmf.newMemoryRegion(file, MEM_READ_ONLY, i, 4096);
  })();
  assert.is(mmf.stats().regions, 1000);
  await collectGarbage();
  console.log(`  after GC: ${JSON.stringify(mmf.stats())}`);
  assert.is(mmf.stats().regions, 0);
  assert.is(mmf.stats().mappedBytes, 0);
  file.close();
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
