// @ts-check
// A file truncated under a live region must not kill the process (issue 5, point 1): the native
// helper's SIGBUS handler maps zeroed memory over the rest of the mapping past the new end of the
// file and the region then reports ETRUNCATED. Faults outside our regions keep their old behaviour.
// Issue 9, item 3: any access pattern over a truncated region leaves a bounded number of areas.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { truncateSync } from "node:fs";
import { Worker } from "node:worker_threads";
import {
  createMmf,
  openFile,
  ErrorCodes,
  MemoryRegionReader,
  MemoryRegionWriter,
  MEM_READ_ONLY,
  MEM_READWRITE,
  MEM_COPY_ON_WRITE,
} from "../dist/host/index.js";
import { areasOverlapping, loadGuest, pattern, realMappingTest, root, sparseFile, tempDir, testNode, throwsCode, writeFile, tracked } from "./helpers.mjs";
import { nativeHelper } from "../dist/host/native.js";

const test = suite("truncation");
const track = tracked(test);

const dir = tempDir();
const PAGE = 4096;
const fresh = (name) => writeFile(dir, name, new Uint8Array(8 * PAGE).fill(7));
const LONG = process.env.MMF_RELIABILITY === "1";
const MiB = 2 ** 20;

/** Pages of [0, pages) in a scattered order (xorshift), `count` of them. */
function* scattered(pages, count, seed = 88172645) {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x % pages;
  }
}

/**
 * Truncates the file under a live region to `newSize`, then reads (or writes) one byte in each of
 * `order`'s pages through the view; returns the faults absorbed and the areas added over the region's range.
 */
/** @param {string} path @param {import("../dist/host/index.js").RegionMode} mode @param {number} newSize @param {Iterable<number>} order */
function faultPattern(path, mode, newSize, order, write = false) {
  const mmf = createMmf();
  const file = openFile(path, "r+");
  const region = mmf.newMemoryRegion(file, mode, 0, 0);
  const view = region.data();
  for (let i = 0; i < view.length; i += 64 * PAGE) view[i]; // some pages in, as in use
  const helper = nativeHelper();
  const stats = helper.guardStats;
  const lo = BigInt(helper.memoryBase(new Uint8Array(mmf.memory.buffer))) + BigInt(view.byteOffset);
  const hi = lo + BigInt(view.byteLength);
  const regionAreas = () => areasOverlapping(lo, hi);
  const before = { areas: regionAreas(), ...stats() };
  truncateSync(path, newSize);
  let sum = 0;
  let touched = 0;
  for (const page of order) {
    if (write) view[page * PAGE + 1] = 1;
    else sum += view[page * PAGE + (touched & 4095)];
    touched++;
  }
  const after = { areas: regionAreas(), ...stats() };
  throwsCode(() => region.close(), "ETRUNCATED");
  file.close();
  return {
    sum,
    touched,
    faults: after.faults - before.faults,
    retried: after.retried - before.retried,
    areasAdded: after.areas - before.areas,
    areas: after.areas,
  };
}

realMappingTest(test, "JavaScript views: the faulting read gets zeros, then every operation is ETRUNCATED, close unmaps and reports it", () => {
  for (const mode of /** @type {import("../dist/host/index.js").RegionMode[]} */ ([MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE])) {
    const path = fresh(`js-${mode}.bin`);
    const mmf = createMmf();
    const file = openFile(path, "r+");
    const region = mmf.newMemoryRegion(file, mode, 100, 0);
    const view = region.data();
    const other = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE); // a region of the same file, not touched
    truncateSync(path, PAGE);
    assert.is(view[5 * PAGE], 0, "the read past the new end completes with zeros");
    assert.is(view[10], 7, "pages before the new end still show the file");
    throwsCode(() => region.data(), "ETRUNCATED");
    throwsCode(() => region.flush(), "ETRUNCATED");
    throwsCode(() => new MemoryRegionReader(region).readAt(new Uint8Array(1), 0), "ETRUNCATED");
    // The fault comes first: a read-only region's writer answers ETRUNCATED too, not EACCES.
    throwsCode(() => new MemoryRegionWriter(region).writeAt(new Uint8Array(1), 0), "ETRUNCATED");
    throwsCode(() => new MemoryRegionReader(region).seek(0), "ETRUNCATED");
    assert.is(other.data()[0], 7, "a region that did not fault stays usable");
    throwsCode(() => region.close(), "ETRUNCATED");
    region.close();
    other.close();
    assert.is(mmf.stats().regions, 0);
    file.close();
  }
});

realMappingTest(test, "readers: the read that faults is ETRUNCATED (its zeros are not the file's), and so is the next", () => {
  const path = fresh("reader.bin");
  const mmf = track(createMmf());
  const file = track(openFile(path, "r"));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 0));
  const reader = new MemoryRegionReader(region);
  truncateSync(path, 2 * PAGE);
  const p = new Uint8Array(16).fill(1);
  throwsCode(() => reader.readAt(p, 6 * PAGE), "ETRUNCATED");
  throwsCode(() => reader.readAt(p, 0), "ETRUNCATED");
  throwsCode(() => region.close(), "ETRUNCATED");
  file.close();
});

realMappingTest(test, "writers: the write that faults is ETRUNCATED, not a count", () => {
  const path = fresh("writer.bin");
  const mmf = track(createMmf());
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0));
  const writer = new MemoryRegionWriter(region);
  assert.is(writer.writeAt(new Uint8Array(16).fill(9), 0), 16);
  truncateSync(path, 2 * PAGE);
  throwsCode(() => writer.writeAt(new Uint8Array(16).fill(9), 6 * PAGE), "ETRUNCATED");
  throwsCode(() => region.close(), "ETRUNCATED");
  file.close();
});

realMappingTest(test, "Wasm loads in a guest: no crash, then the guest's region reports ETRUNCATED", async () => {
  const path = fresh("guest.bin");
  const g = track(await loadGuest("api"));
  const handle = g.host.grant(path, "r");
  const index = g.call("holdHandle", handle, MEM_READ_ONLY, 0n, 0n);
  assert.ok(index >= 0);
  assert.is(g.call("heldByte", index, BigInt(6 * PAGE)), 7);
  truncateSync(path, PAGE);
  assert.is(g.call("heldByte", index, BigInt(6 * PAGE)), 0, "a Wasm load past the new end reads zero");
  assert.is(g.call("checkHeld", index), -ErrorCodes.ETRUNCATED);
  assert.is(g.call("readHeld", index, 0n), -ErrorCodes.ETRUNCATED);
  assert.is(g.call("closeHeldAt", index), -ErrorCodes.ETRUNCATED, "close unmaps and reports the fault");
  const fresh2 = g.call("holdHandle", handle, MEM_READ_ONLY, 0n, 0n);
  assert.is(g.call("readPageHeld", fresh2, BigInt(0), PAGE), PAGE);
  truncateSync(path, 0);
  assert.is(g.call("readPageHeld", fresh2, BigInt(0), PAGE), -ErrorCodes.ETRUNCATED, "the guest's readAt that faults answers -ETRUNCATED, not a count");
  g.call("closeHeld");
  assert.is(g.host.mappingCount, 0);
  g.host.close();
});

realMappingTest(test, "in a worker thread", async () => {
  const path = fresh("worker.bin");
  const script = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { truncateSync } = require("node:fs");
    import(workerData.module).then(({ createMmf, openFile, MEM_READ_ONLY }) => {
      const mmf = createMmf();
      const region = mmf.newMemoryRegion(openFile(workerData.path, "r"), MEM_READ_ONLY, 0, 0);
      const view = region.data();
      truncateSync(workerData.path, 4096);
      const byte = view[5 * 4096];
      let code = "none";
      try { region.data(); } catch (e) { code = e.code; }
      try { region.close(); } catch {}
      parentPort.postMessage({ byte, code });
    }, (e) => parentPort.postMessage({ error: e.message }));`;
  const module = new URL("../dist/host/index.js", import.meta.url).href;
  const result = await new Promise((resolve, reject) => {
    const w = track(new Worker(script, { eval: true, workerData: { module, path } }));
    w.once("message", resolve);
    w.once("error", reject);
  });
  assert.equal(result, { byte: 0, code: "ETRUNCATED" });
});

realMappingTest(test, "a SIGBUS that is not ours keeps its old behaviour: the earlier handler, or the default", () => {
  const prelude = `
    import { createMmf, openFile, MEM_READ_ONLY } from "${root}dist/host/index.js";
    import { writeFileSync } from "node:fs";
    writeFileSync("${dir}/own.bin", new Uint8Array(4096));
    createMmf().newMemoryRegion(openFile("${dir}/own.bin"), MEM_READ_ONLY); // installs the guard`;
  const withHandler = spawnSync(
    testNode.file,
    [
      ...testNode.args,
      "--input-type=module",
      "-e",
      `
    process.on("SIGBUS", () => { console.log("earlier handler"); process.exit(0); });
    ${prelude}
    process.kill(process.pid, "SIGBUS");
    setTimeout(() => {}, 2000);`,
    ],
    { encoding: "utf8" },
  );
  assert.is(withHandler.status, 0, withHandler.stderr);
  assert.match(withHandler.stdout, /earlier handler/);
  const withoutHandler = spawnSync(
    testNode.file,
    [
      ...testNode.args,
      "--input-type=module",
      "-e",
      `
    ${prelude}
    process.kill(process.pid, "SIGBUS");
    setTimeout(() => {}, 2000);`,
    ],
    { encoding: "utf8" },
  );
  assert.is(withoutHandler.signal, "SIGBUS", "the default action still ends the process");
});

realMappingTest(test, `random page reads over a ${LONG ? "1 GiB" : "64 MiB"} region truncated to 0: one fault absorbed, the areas stay bounded`, () => {
  const size = (LONG ? 1024 : 64) * MiB;
  const path = track.path(sparseFile(dir, "random.bin", size, { 0: pattern(PAGE, 3) }));
  const reads = LONG ? 400_000 : 10_000;
  const r = faultPattern(path, MEM_READ_ONLY, 0, scattered(size / PAGE, reads));
  assert.is(r.sum, 0, "every read past the end reads zero");
  assert.ok(r.faults >= 1 && r.faults <= 2, `faults absorbed: ${r.faults}`);
  assert.ok(r.areasAdded <= 2, `areas added: ${r.areasAdded}`);
  console.log(
    `  ${reads} random page reads over ${size / MiB} MiB truncated to 0: faults absorbed ${r.faults} (SIGBUS deliveries retried ${r.retried}), areas added ${r.areasAdded}, areas over the region at the end ${r.areas}`,
  );
});

realMappingTest(test, "descending reads and scattered writes past a new end in the middle: the pages before it keep the file's bytes", () => {
  const pages = LONG ? 65536 : 4096;
  const bytes = pattern(pages * PAGE, 4);
  for (const [label, mode, write] of /** @type {const} */ ([
    ["reads", MEM_READ_ONLY, false],
    ["writes", MEM_READWRITE, true],
  ])) {
    const path = writeFile(dir, `middle-${label}.bin`, bytes);
    const half = pages / 2;
    const descending = function* () {
      for (let p = pages - 1; p >= half; p--) yield p;
    };
    const order = write ? [...scattered(pages - half, pages)].map((p) => half + p) : descending();
    const r = faultPattern(path, mode, half * PAGE, order, write);
    assert.ok(r.faults >= 1 && r.faults <= 2, `${label}: faults absorbed ${r.faults}`);
    assert.ok(r.areasAdded <= 2, `${label}: areas added ${r.areasAdded}`);
    const file = openFile(path, "r");
    const region = createMmf().newMemoryRegion(file, MEM_READ_ONLY, 0, 0);
    assert.is(region.size(), half * PAGE);
    assert.equal(region.data(), bytes.subarray(0, half * PAGE), "the file before its new end is intact");
    region.close();
    file.close();
    console.log(`  ${r.touched} ${label} past a new end at half of ${pages} pages: faults absorbed ${r.faults}, areas added ${r.areasAdded}`);
  }
});

test("the emulated backend never faults: a truncated file leaves the copy as it was", () => {
  const path = fresh("emulated.bin");
  const mmf = track(createMmf({ backend: "emulated" }));
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0));
  truncateSync(path, PAGE);
  assert.is(region.data()[5 * PAGE], 7);
  region.data()[6 * PAGE] = 1;
  region.close(); // write-back stops at the new end of the file
  assert.is(openFile(path).size(), PAGE);
  file.close();
});

test.run();
