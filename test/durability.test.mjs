// @ts-check
// Durability (issue 5, point 2): what a writer that is killed, or exits, leaves in the file.
// MMF_RELIABILITY=1 (npm run test:reliability) runs many more trials.
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

/** Runs one writer to "done", then SIGKILLs it (unless it exits by itself); returns its exit. */
function runWriter(path, seed, count, end) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(testNode.file, [...testNode.args, writer, path, String(seed), String(count), end], { stdio: ["ignore", "pipe", "pipe"] }));
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

async function trials(end, count, expectWrites = true) {
  let bytes = 0;
  for (let t = 0; t < count; t++) {
    const initial = pattern(SIZE, t + 1);
    const path = writeFile(dir, `trial-${end}.bin`, initial);
    const seed = 1000 + t;
    const writes = 1 + ((seed * 7) % 40);
    const { signal } = await runWriter(path, seed, writes, end);
    if (end !== "exit") assert.is(signal, "SIGKILL");
    const model = initial.slice();
    for (const w of plannedWrites(seed, writes, SIZE)) {
      if (expectWrites) model.set(w.bytes, w.offset);
      bytes += w.bytes.length;
    }
    assert.equal(readBytes(path), model, `trial ${t}: the file is not what it should be`);
  }
  return bytes;
}

test("flush(false), then SIGKILL: every flushed byte is in the file", async () => {
  const n = LONG ? 500 : 3;
  const bytes = await trials("flush", n);
  console.log(`  [${backend}] ${n} killed writers, ${bytes} flushed bytes, all in the file`);
});

test("close() without flush, then SIGKILL: the bytes are in the file", async () => {
  const n = LONG ? 200 : 3;
  const bytes = await trials("close", n);
  console.log(`  [${backend}] ${n} killed writers after close, ${bytes} bytes, all in the file`);
});

test("a clean exit without flush or close: the bytes are in the file", async () => {
  const n = LONG ? 200 : 3;
  const bytes = await trials("exit", n);
  console.log(`  [${backend}] ${n} writers exited without close, ${bytes} bytes, all in the file`);
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
  assert.equal(disk, initial, `trial ${t}: the file holds part of the writes`);
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
