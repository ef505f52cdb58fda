// A worker thread grows an instance's shared memory while the main thread maps (issue 9, 4b).
// The allocator must hand out only pages it grew itself: memory.grow's result says which those
// are. A region placed over a worker's page would carry the worker's bytes into the file, and
// the worker would find file bytes in its page. MMF_RELIABILITY=1 runs many more maps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Worker } from "node:worker_threads";
import { createMmf, openFile, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../build/host/index.js";
import { backend, mapsOf, pattern, readBytes, root, sparseFile, tempDir } from "./helpers.mjs";

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const MAPS = LONG ? 40_000 : 4000;
const FILE_SIZE = 16 << 20;
const WASM_PAGE = 65536;
const MARKER = 0xff;
// What the main thread writes at each file offset: never 0 (untouched) and never the worker's marker.
const expected = pattern(FILE_SIZE, 11).map((b) => (b % 250) + 1);

function startGrower(memory, capBytes) {
  const control = new SharedArrayBuffer(12);
  const pages = new SharedArrayBuffer(4 * 65536);
  const worker = new Worker(new URL("./fixtures/grower.mjs", import.meta.url), { workerData: { memory, control, pages, capBytes } });
  const done = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const ctrl = new Int32Array(control);
  while (Atomics.load(ctrl, 2) === 0) Atomics.wait(ctrl, 2, 0, 50);
  return {
    ctrl,
    /** Stops the worker and returns its report with the list of its Wasm pages. */
    async stop() {
      Atomics.store(ctrl, 0, 1);
      const report = await done;
      await worker.terminate();
      return { ...report, pages: Array.from(new Int32Array(pages, 0, report.grown)) };
    },
  };
}

test(`${MAPS} MEM_READWRITE maps while a worker grows the memory: no worker page is ever mapped`, async () => {
  const path = sparseFile(dir, "race.bin", FILE_SIZE);
  const file = openFile(path, "r+");
  const mmf = createMmf();
  const grower = startGrower(mmf.memory, LONG ? 2 ** 30 : 2 ** 28);
  const live = [];
  let seed = 1;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const grownAtStart = mmf.memory.buffer.byteLength;
  let corruptRegions = 0;
  for (let i = 0; i < MAPS; i++) {
    // Sizes from one byte to 256 KiB at any offset.
    const size = 1 + random(256 * 1024);
    const offset = random(FILE_SIZE - size);
    const region = mmf.newMemoryRegion(file, i % 5 === 4 ? MEM_COPY_ON_WRITE : MEM_READWRITE, offset, size);
    region.data().set(expected.subarray(offset, offset + size));
    live.push({ region, offset, size });
    // Most regions stay: the allocator then grows the memory at most maps, as the worker does.
    if (random(4) === 0) {
      const { region: old, offset: o, size: s } = live.splice(random(live.length), 1)[0];
      if (Buffer.compare(old.data(), expected.subarray(o, o + s)) !== 0) corruptRegions++;
      old.close();
    }
  }
  const report = await grower.stop();
  const workerPages = new Set(report.pages);
  // The region table: the count, every live region's bytes, no two regions overlap, no region on a worker page.
  assert.is(mmf.stats().regions, live.length, "stats().regions counts the live regions");
  const spans = live.map(({ region }) => [region.data().byteOffset, region.data().byteOffset + region.size()]).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], "two live regions overlap");
  let onWorkerPages = 0;
  for (const [start, end] of spans) {
    for (let p = Math.floor(start / WASM_PAGE); p <= Math.floor((end - 1) / WASM_PAGE); p++) if (workerPages.has(p)) onWorkerPages++;
  }
  for (const { region, offset, size } of live) {
    if (Buffer.compare(region.data(), expected.subarray(offset, offset + size)) !== 0) corruptRegions++;
    region.flush();
    region.close();
  }
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  if (backend === "native") assert.is(mapsOf(path).length, 0, "mappings left");
  file.close();
  // The file holds only what the main thread wrote (or zeros where no region was).
  const disk = readBytes(path);
  let workerBytes = 0;
  let otherBytes = 0;
  for (let i = 0; i < disk.length; i++) {
    if (disk[i] === MARKER) workerBytes++;
    else if (disk[i] !== 0 && disk[i] !== expected[i]) otherBytes++;
  }
  const grownMiB = ((mmf.memory.buffer.byteLength - grownAtStart) / 2 ** 20).toFixed(0);
  console.log(`  [${backend}] ${MAPS} maps, worker grew ${report.grown} Wasm pages and rewrote its pages ${report.rewrites} times, memory +${grownMiB} MiB: ` +
    `worker pages spoiled ${report.spoiled}, live regions on worker pages ${onWorkerPages}, regions not holding their bytes ${corruptRegions}, ` +
    `worker bytes in the file ${workerBytes}, other wrong bytes ${otherBytes}`);
  assert.ok(report.grown > 100, `the worker grew only ${report.grown} pages: no race was tried`);
  assert.is(report.spoiled, 0, "a worker's page was mapped over");
  assert.is(onWorkerPages, 0, "a live region sits on a worker's page");
  assert.is(corruptRegions, 0, "a region lost its bytes");
  assert.is(workerBytes, 0, "the worker's bytes reached the file");
  assert.is(otherBytes, 0, "the file holds bytes nobody wrote there");
  // The allocator still works after the race.
  const after = mmf.newMemoryRegion(openFile(path, "r"), MEM_COPY_ON_WRITE, 0, 4096);
  assert.is(after.size(), 4096);
  after.close();
});

test.run();
