// @ts-check
// Races between threads (issue 9, item 4a): worker threads read a shared Wasm memory where the main
// thread maps a file, truncates it and closes the region, over and over, at the same addresses.
// A fault can reach the handler after the region closed, or after a new region took its pages:
// the process must survive, and a region of an intact file mapped there must keep its bytes (a
// stale fault must never put zeros over it). MMF_RELIABILITY=1 runs many more rounds.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ftruncateSync, openSync, closeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { createMmf, openFile, MEM_READ_ONLY } from "../dist/host/index.js";
import { pattern, realMappingTest, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("races");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const ROUNDS = LONG ? 20_000 : 500;
const WORKERS = 2;
const PAGE = 4096;
const PAGES = 16;

// control: [stop, address, length, reads of worker 0, reads of worker 1, ...]
const reader = `
  const { workerData, parentPort } = require("node:worker_threads");
  const { memory, control, index } = workerData;
  let view = new Uint8Array(memory.buffer);
  let sum = 0;
  parentPort.postMessage("ready");
  while (Atomics.load(control, 0) === 0) {
    const at = Atomics.load(control, 1) >>> 0;
    const len = Atomics.load(control, 2);
    if (at + len > view.length) view = new Uint8Array(memory.buffer);
    for (let off = len - 1; off > 0; off -= ${PAGE}) sum += view[at + off];
    Atomics.add(control, 3 + index, 1);
  }
  parentPort.postMessage(sum);`;

realMappingTest(
  test,
  `${WORKERS} workers read while the main thread maps, truncates and closes ${ROUNDS} times: no crash, no stale fault on a new region`,
  async () => {
    const { nativeHelper } = await import("../dist/host/native.js");
    const size = PAGES * PAGE;
    const doomedPath = track.path(writeFile(dir, "doomed.bin", pattern(size, 1)));
    const intact = pattern(size, 2);
    const intactFile = track(openFile(writeFile(dir, "intact.bin", intact), "r"));
    const mmf = track(createMmf());
    const control = new Int32Array(new SharedArrayBuffer(4 * (3 + WORKERS)));
    const workers = [];
    for (let index = 0; index < WORKERS; index++) {
      const w = track(new Worker(reader, { eval: true, workerData: { memory: mmf.memory, control, index } }));
      await new Promise((resolve, reject) => {
        w.once("message", resolve);
        w.once("error", reject);
      });
      workers.push(w);
    }
    const before = nativeHelper().guardStats();
    let truncatedRounds = 0;
    let intactChecks = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          // The file at full size, mapped, then cut under the readers and closed at once, while their
          // faults may be in flight.
          const fd = openSync(doomedPath, "r+");
          ftruncateSync(fd, size);
          const file = openFile(doomedPath, "r");
          const region = mmf.newMemoryRegion(file, MEM_READ_ONLY);
          const data = region.data();
          Atomics.store(control, 2, size);
          Atomics.store(control, 1, data.byteOffset);
          ftruncateSync(fd, 0);
          closeSync(fd);
          const reads = Atomics.load(control, 3);
          while (round % 16 === 0 && Atomics.load(control, 3) < reads + 2); // now and then, let a worker fault first
          try {
            region.close();
          } catch (err) {
            assert.is(err.code, "ETRUNCATED");
            truncatedRounds++;
          }
          file.close();
        } else {
          // An intact file where the doomed one was: the readers' late faults must not touch it.
          const region = mmf.newMemoryRegion(intactFile, MEM_READ_ONLY);
          Atomics.store(control, 2, PAGES * PAGE);
          Atomics.store(control, 1, region.data().byteOffset);
          assert.equal(region.data(), intact, `round ${round}: the intact region keeps its bytes`);
          region.close(); // would throw if a late handler had taken a fault for this region
          intactChecks++;
        }
      }
    } finally {
      Atomics.store(control, 0, 1);
      await Promise.all(workers.map((w) => new Promise((resolve) => w.once("exit", resolve))));
    }
    const after = nativeHelper().guardStats();
    const reads = [...control.subarray(3)].reduce((a, b) => a + b, 0);
    console.log(
      `  ${ROUNDS} rounds: ${truncatedRounds} closes reported ETRUNCATED, ${intactChecks} intact regions checked, ` +
        `${reads} sweeps by the readers, faults absorbed ${after.faults - before.faults}, SIGBUS retried ${after.retried - before.retried}`,
    );
    assert.ok(after.faults > before.faults, "the readers did fault");
    assert.is(mmf.stats().regions, 0);
    intactFile.close();
  },
);

test.run();
