// @ts-check
// Other processes and threads (issue 5, point 3): two processes exchange messages through one
// MEM_READWRITE mapping with Atomics (and with a guest's Wasm atomics); worker_threads share one
// shared Wasm memory. Zero lost or torn messages.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { createMmf, openFile, MEM_READWRITE } from "../dist/host/index.js";
import { readBytes, realMappingTest, root, tempDir, testNode, writeFile, tracked } from "./helpers.mjs";

const test = suite("processes");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const EXCHANGES = LONG ? 1_000_000 : 10_000;

function side(path, role, impl) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(testNode.file, [...testNode.args, join(root, "test/fixtures/pingpong.mjs"), path, String(role), String(EXCHANGES), impl]));
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${impl} side ${role}: ${code} ${err}`))));
  });
}

for (const [a, b] of [
  ["js", "js"],
  ["js", "wasm"],
]) {
  realMappingTest(test, `two processes (${a} and ${b}) exchange ${EXCHANGES} messages through one mapping`, async () => {
    const path = writeFile(dir, `pp-${a}-${b}.bin`, new Uint8Array(4096));
    const started = performance.now();
    const [x, y] = await Promise.all([side(path, 0, a), side(path, 1, b)]);
    const ms = performance.now() - started;
    console.log(`  ${a} <-> ${b}: ${x.exchanges} exchanges, ${x.torn + y.torn} torn, ${(ms / 1000).toFixed(2)} s`);
    assert.equal(x, { exchanges: EXCHANGES, torn: 0 });
    assert.equal(y, { exchanges: EXCHANGES, torn: 0 });
    const seq = new Int32Array(readBytes(path).buffer, 0, 1)[0];
    assert.is(seq, 2 * EXCHANGES, "no message lost: the sequence ends where it should");
  });
}

test("worker_threads sharing one shared Wasm memory exchange messages through a region", async () => {
  const path = track.path(writeFile(dir, "workers.bin", new Uint8Array(4096)));
  const mmf = track(createMmf());
  const file = track(openFile(path, "r+"));
  const region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 4096));
  const count = LONG ? 200_000 : 10_000;
  const script = `
    const { parentPort, workerData: { memory, address, role, count } } = require("node:worker_threads");
    const a = new Int32Array(memory.buffer, address, 16);
    let torn = 0;
    for (let i = 1; i <= count; i++) {
      const mine = role === 0 ? 2 * (i - 1) : 2 * i - 1;
      while (Atomics.load(a, 0) !== mine) Atomics.wait(a, 0, Atomics.load(a, 0), 50);
      if (role === 1 || i > 1) for (let k = 1; k <= 8; k++) if (a[k] !== (role === 1 ? i * 31 + k : (i - 1) * 17 + k)) torn++;
      for (let k = 1; k <= 8; k++) a[k] = role === 0 ? i * 31 + k : i * 17 + k;
      Atomics.store(a, 0, mine + 1);
      Atomics.notify(a, 0);
    }
    parentPort.postMessage(torn);`;
  const run = (role) =>
    new Promise((resolve, reject) => {
      const w = track(new Worker(script, { eval: true, workerData: { memory: mmf.memory, address: region.data().byteOffset, role, count } }));
      w.once("message", resolve);
      w.once("error", reject);
    });
  const torn = await Promise.all([run(0), run(1)]);
  console.log(`  two workers on one shared memory: ${count} exchanges, ${torn[0] + torn[1]} torn`);
  assert.equal(torn, [0, 0]);
  region.flush();
  assert.is(new Int32Array(readBytes(path).buffer, 0, 1)[0], 2 * count, "the last sequence number is in the file");
  region.close();
  file.close();
});

test.run();
