// @ts-check
// Memory objects between processes and threads (issue 14, item 1): two Node processes exchange
// 1,000,000 messages through one object, a Node process and a guest in another, two worker
// threads; a single-producer single-consumer ring (test/fixtures/ring.mjs, test/guests/ring.ts)
// where every message's sequence and payload are checked.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { newMemoryObject } from "../dist/host/index.js";
import { realMappingTest, root, testNode, tracked } from "./helpers.mjs";
import { leftovers, objectName, removeObjects } from "./memory-object-names.mjs";

const LONG = process.env.MMF_RELIABILITY === "1";
const RING = join(root, "test/fixtures/ring.mjs");
const RING_BYTES = 65536;

const ipc = suite("memory objects between processes");
ipc.after.each(() => {
  removeObjects();
});
/** The ring's sides (processes, workers): ended after a test that failed before they did. */
const track = tracked(ipc);

/** A fresh ring object; the suite's after.each destroys it. */
function ringObject() {
  const object = newMemoryObject(objectName("ring"), "wx+");
  object.truncate(RING_BYTES);
  object.close();
  return object.name();
}

function side(name, role, count, impl) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(testNode.file, [...testNode.args, RING, name, String(role), String(count), impl]));
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${impl} side ${role}: ${code} ${err}`))));
  });
}

/** The ring's head and tail words as the object holds them after a run. */
function headAndTail(name) {
  const bytes = readFileSync(`/dev/shm/${name}`);
  return [bytes.readInt32LE(0), bytes.readInt32LE(64)];
}

async function exchange(a, b, count) {
  const name = ringObject();
  const started = performance.now();
  const [producer, consumer] = await Promise.all([side(name, 0, count, a), side(name, 1, count, b)]);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `  ${a} -> ${b} through /dev/shm: ${count.toLocaleString("en")} messages in ${seconds.toFixed(2)} s with process start-up (the exchange itself: ${(consumer.ms / 1000).toFixed(2)} s, ${Math.round(count / (consumer.ms / 1000)).toLocaleString("en")} messages/s), ${consumer.bad} bad`,
  );
  assert.equal([producer.messages, producer.bad], [count, 0]);
  assert.equal([consumer.messages, consumer.bad], [count, 0], "every message arrived with its sequence and payload");
  assert.equal(headAndTail(name), [count, count], "the object's head and tail words end at the count: nothing lost");
}

realMappingTest(ipc, `two Node processes exchange ${LONG ? "1,000,000" : "200,000"} messages through one object, with Atomics`, async () => {
  await exchange("js", "js", LONG ? 1_000_000 : 200_000); // the rate: node bench/object-ring.mjs
});

realMappingTest(
  ipc,
  `a Node process and a guest in another process (granted the object by name) exchange ${LONG ? "1,000,000" : "100,000"} messages`,
  async () => {
    await exchange("js", "wasm", LONG ? 1_000_000 : 100_000);
    await exchange("wasm", "js", LONG ? 1_000_000 : 100_000);
  },
);

const WORKER_MESSAGES = LONG ? 1_000_000 : 100_000;
realMappingTest(
  ipc,
  `two worker threads, each opening the object by name in its own Mmf, exchange ${WORKER_MESSAGES.toLocaleString("en")} messages`,
  async () => {
    const name = ringObject();
    const count = WORKER_MESSAGES;
    const run = (role) =>
      new Promise((resolve, reject) => {
        const worker = track(new Worker(RING, { argv: [name, String(role), String(count), "js"], stdout: true }));
        let out = "";
        worker.stdout.on("data", (d) => (out += d));
        worker.once("error", reject);
        worker.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${role}: exit ${code}`))));
      });
    const [producer, consumer] = await Promise.all([run(0), run(1)]);
    console.log(`  two workers: ${count.toLocaleString("en")} messages in ${(consumer.ms / 1000).toFixed(2)} s, ${consumer.bad} bad`);
    assert.equal([producer.bad, consumer.bad, consumer.messages], [0, 0, count]);
    assert.equal(headAndTail(name), [count, count]);
  },
);

const last = suite("cleanup");
last("every object made by these suites is gone", () => {
  removeObjects();
  assert.equal(leftovers(), []);
});

ipc.run();
last.run();
