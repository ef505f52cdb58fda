// @ts-check
// A worker thread grows an instance's shared memory while the main thread maps (issue 9, 4b).
// The allocator must hand out only pages it grew itself: memory.grow's result says which those
// are. A region placed over a worker's page would carry the worker's bytes into the file, and
// the worker would find file bytes in its page. MMF_RELIABILITY=1 runs many more maps.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Worker } from "node:worker_threads";
import { createMmf, openFile, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../dist/host/index.js";
import { backend, longOnEmulatedTest, mapsOf, pattern, readBytes, sparseFile, tempDir, tracked } from "./helpers.mjs";

const test = suite("grow-race");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const MAPS = LONG ? 40_000 : 500;
const FILE_SIZE = 16 << 20;
const WASM_PAGE = 65536;
const MARKER = 0xff;
// What the main thread writes at each file offset: never 0 (untouched) and never the worker's marker.
const expected = pattern(FILE_SIZE, 11).map((b) => (b % 250) + 1);

function startGrower(memory, capBytes) {
  const control = new SharedArrayBuffer(12);
  const pages = new SharedArrayBuffer(4 * 65536);
  const worker = track(new Worker(new URL("./fixtures/grower.mjs", import.meta.url), { workerData: { memory, control, pages, capBytes } }));
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

/**
 * One round: a fresh instance, a worker growing its memory, and `maps` maps of which three in
 * four stay live (so the allocator grows the memory at most maps, as the worker does) and the
 * rest close. Returns the round's figures; asserts nothing itself.
 */
async function round(file, maps, seed) {
  const mmf = createMmf();
  const grower = startGrower(mmf.memory, mmf.memory.buffer.byteLength + 2 ** 27);
  const live = [];
  const random = (n) => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed % n;
  };
  let corruptRegions = 0;
  let report;
  try {
    for (let i = 0; i < maps; i++) {
      // Sizes from one byte to 256 KiB at any offset.
      const size = 1 + random(256 * 1024);
      const offset = random(FILE_SIZE - size);
      const region = mmf.newMemoryRegion(file, i % 5 === 4 ? MEM_COPY_ON_WRITE : MEM_READWRITE, offset, size);
      region.data().set(expected.subarray(offset, offset + size));
      live.push({ region, offset, size });
      if (random(4) === 0) {
        const { region: old, offset: o, size: s } = live.splice(random(live.length), 1)[0];
        if (Buffer.compare(old.data(), expected.subarray(o, o + s)) !== 0) corruptRegions++;
        old.close();
      }
    }
  } finally {
    report = await grower.stop();
  }
  const workerPages = new Set(report.pages);
  // The region table: the count, every live region's bytes, no two regions overlap, no region on a worker page.
  const counted = mmf.stats().regions;
  const spans = live.map(({ region }) => [region.data().byteOffset, region.data().byteOffset + region.size()]).sort((a, b) => a[0] - b[0]);
  let overlaps = 0;
  for (let i = 1; i < spans.length; i++) if (spans[i][0] < spans[i - 1][1]) overlaps++;
  let onWorkerPages = 0;
  for (const [start, end] of spans) {
    for (let p = Math.floor(start / WASM_PAGE); p <= Math.floor((end - 1) / WASM_PAGE); p++) if (workerPages.has(p)) onWorkerPages++;
  }
  for (const { region, offset, size } of live) {
    if (Buffer.compare(region.data(), expected.subarray(offset, offset + size)) !== 0) corruptRegions++;
    region.close(); // (the emulated backend writes back here; native writes are in the page cache)
  }
  return { live: live.length, counted, overlaps, onWorkerPages, corruptRegions, left: mmf.stats(), ...report };
}

// The allocator is the core module's: the emulated backend changes only how the bytes arrive.
longOnEmulatedTest(test, `${MAPS} MEM_READWRITE maps while a worker grows the memory: no worker page is ever mapped`, async () => {
  const path = track.path(sparseFile(dir, "race.bin", FILE_SIZE));
  const file = track(openFile(path, "r+"));
  const total = { grown: 0, rewrites: 0, spoiled: 0, onWorkerPages: 0, corruptRegions: 0, overlaps: 0 };
  const ROUND = Math.min(1000, MAPS);
  for (let r = 0; r < MAPS / ROUND; r++) {
    const figures = await round(file, ROUND, 0x9e3779b9 + r);
    assert.is(figures.counted, figures.live, `round ${r}: stats().regions counts the live regions`);
    assert.equal(figures.left, { regions: 0, mappedBytes: 0, regionBytes: 0 }, `round ${r}: regions left`);
    for (const key of Object.keys(total)) total[key] += figures[key];
  }
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
  console.log(
    `  [${backend}] ${MAPS} maps in rounds of ${ROUND}, workers grew ${total.grown} Wasm pages and rewrote them ${total.rewrites} times: ` +
      `worker pages spoiled ${total.spoiled}, live regions on worker pages ${total.onWorkerPages}, overlapping regions ${total.overlaps}, ` +
      `regions not holding their bytes ${total.corruptRegions}, worker bytes in the file ${workerBytes}, other wrong bytes ${otherBytes}`,
  );
  assert.ok(total.grown > 100 * (MAPS / ROUND), `the workers grew only ${total.grown} pages: no race was tried`);
  assert.is(total.spoiled, 0, "a worker's page was mapped over");
  assert.is(total.onWorkerPages, 0, "a live region sits on a worker's page");
  assert.is(total.overlaps, 0, "two live regions overlap");
  assert.is(total.corruptRegions, 0, "a region lost its bytes");
  assert.is(workerBytes, 0, "the worker's bytes reached the file");
  assert.is(otherBytes, 0, "the file holds bytes nobody wrote there");
});

test.run();
