// @ts-check
// Durability (issue 5, point 2): what a writer that is killed, or exits, leaves in the file.
// MMF_RELIABILITY=1 (npm run test:reliability) runs many more trials, each in a writer of its own
// (npm test gives the few trials of a test to one writer).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { backend, pattern, readBytes, root, tempDir, testNode, writeFile, tracked } from "./helpers.mjs";
import { plannedWrites } from "./fixtures/writes.mjs";

const test = suite("durability");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const SIZE = 256 * 1024;
const writer = join(root, "test/fixtures/writer.mjs");

/**
 * Asserts that the file at `path` holds `want`, naming the first byte that differs (uvu's own diff
 * of two 256 KiB arrays would run for many minutes).
 */
function assertHolds(path, want, message) {
  const got = readBytes(path);
  if (Buffer.compare(got, want) === 0) return;
  const at = got.findIndex((byte, i) => byte !== want[i]);
  assert.unreachable(`${message}: ${got.length} bytes (want ${want.length}), the first difference at byte ${at === -1 ? want.length : at}`);
}

/**
 * Runs one writer over the trials' files (each { path, seed, writes }) to "done", then SIGKILLs it
 * (unless it exits by itself); returns its exit.
 */
function runWriter(trials, end) {
  const args = trials.flatMap(({ path, seed, writes }) => [path, String(seed), String(writes)]);
  return new Promise((resolve, reject) => {
    const child = track(spawn(testNode.file, [...testNode.args, writer, end, ...args], { stdio: ["ignore", "pipe", "pipe"] }));
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("done") && end !== "exit") child.kill("SIGKILL");
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code, signal) => (out.includes("done") ? resolve({ code, signal }) : reject(new Error(`writer failed: ${code} ${signal} ${err}`))));
  });
}

/**
 * `count` trials, each a file of its own with its own writes; npm test gives them all to one writer
 * (one process start-up), MMF_RELIABILITY=1 a writer each (as many kills as trials).
 */
async function trials(end, count, expectWrites = true) {
  const perWriter = LONG ? 1 : count;
  let bytes = 0;
  for (let first = 0; first < count; first += perWriter) {
    const batch = [];
    for (let t = first; t < Math.min(first + perWriter, count); t++) {
      const initial = pattern(SIZE, t + 1);
      const seed = 1000 + t;
      batch.push({ t, initial, seed, writes: 1 + ((seed * 7) % 40), path: writeFile(dir, `trial-${end}-${t - first}.bin`, initial) });
    }
    const { signal } = await runWriter(batch, end);
    if (end !== "exit") assert.is(signal, "SIGKILL");
    for (const { t, initial, seed, writes, path } of batch) {
      const model = initial.slice();
      for (const w of plannedWrites(seed, writes, SIZE)) {
        if (expectWrites) model.set(w.bytes, w.offset);
        bytes += w.bytes.length;
      }
      assertHolds(path, model, `trial ${t}: the file is not what it should be`);
    }
  }
  return bytes;
}

test("flush(false), then SIGKILL: every flushed byte is in the file", async () => {
  const n = LONG ? 500 : 3;
  const bytes = await trials("flush", n);
  console.log(`  [${backend}] ${n} files of killed writers, ${bytes} flushed bytes, all in the file`);
});

test("close() without flush, then SIGKILL: the bytes are in the file", async () => {
  const n = LONG ? 200 : 3;
  const bytes = await trials("close", n);
  console.log(`  [${backend}] ${n} files of killed writers after close, ${bytes} bytes, all in the file`);
});

test("a clean exit without flush or close: the bytes are in the file", async () => {
  const n = LONG ? 200 : 3;
  const bytes = await trials("exit", n);
  console.log(`  [${backend}] ${n} files of writers that exited without close, ${bytes} bytes, all in the file`);
});

test("no flush, no close, SIGKILL: native keeps the bytes (page cache), emulated loses them", async () => {
  const kept = backend === "native";
  await trials("none", LONG ? 50 : 2, kept);
  console.log(`  [${backend}] killed without flush or close: the writes were ${kept ? "kept" : "lost, as documented"}`);
});

/**
 * A worker thread writes into a MEM_READWRITE region without flush or close, then either ends by
 * itself or is stopped with worker.terminate(), which runs no JavaScript in it: no exit
 * listener, no finalizer. Returns whether the file holds the writes.
 */
async function workerTrial(t, end) {
  const initial = pattern(SIZE, 500 + t);
  const path = writeFile(dir, `worker-${end}.bin`, initial);
  const seed = 2000 + t;
  const writes = 1 + ((seed * 7) % 40);
  const script = `
    const { parentPort, workerData: { path, seed, writes, end } } = require("node:worker_threads");
    import(${JSON.stringify(join(root, "dist/host/index.js"))}).then(async ({ createMmf, openFile, MEM_READWRITE }) => {
      const { plannedWrites } = await import(${JSON.stringify(join(root, "test/fixtures/writes.mjs"))});
      const region = createMmf().newMemoryRegion(openFile(path, "r+"), MEM_READWRITE, 0, 0);
      // Reachable to the end: a collection before terminate() would run the region's finalizer,
      // which writes back (seen on Node 26), and this trial is about terminate() alone.
      globalThis.region = region;
      const data = region.data();
      for (const { offset, bytes } of plannedWrites(seed, writes, data.length)) data.set(bytes, offset);
      parentPort.postMessage("done");
      if (end === "terminate") setInterval(() => {}, 1000);
    });`;
  const worker = track(new Worker(script, { eval: true, workerData: { path, seed, writes, end } }));
  // Listened for from the start: a worker that ends at once emits its last message and "exit" together.
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  if (end === "terminate") await worker.terminate();
  await exited;
  const model = initial.slice();
  for (const w of plannedWrites(seed, writes, SIZE)) model.set(w.bytes, w.offset);
  const disk = readBytes(path);
  if (Buffer.compare(disk, model) === 0) return true;
  assertHolds(path, initial, `trial ${t}: the file holds part of the writes`);
  return false;
}

test("a worker thread that ends by itself without flush or close: the bytes are in the file", async () => {
  const n = LONG ? 100 : 2;
  for (let t = 0; t < n; t++) assert.ok(await workerTrial(t, "exit"), `trial ${t}: the writes were lost`);
  console.log(`  [${backend}] ${n} workers ended by themselves without close: the writes were kept`);
});

test("a worker thread stopped with terminate() without flush: native keeps the bytes, emulated loses them", async () => {
  const n = LONG ? 100 : 2;
  const kept = backend === "native";
  for (let t = 0; t < n; t++) assert.is(await workerTrial(t, "terminate"), kept, `trial ${t}`);
  console.log(`  [${backend}] ${n} workers terminated without flush: the writes were ${kept ? "kept" : "lost, as documented"}`);
});

test.run();
