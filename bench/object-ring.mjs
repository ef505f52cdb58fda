// Messages through a named shared memory object against the in-process floor: the ring of
// test/fixtures/ring.mjs (single producer, single consumer, every message checked) between two
// Node processes over a memory object, between two worker threads over a memory object, and
// between two worker threads over a SharedArrayBuffer (no mapping, no process boundary), in turns;
// and the processes once more with sides that spin without ever sleeping (MMF_RING_PURE_SPIN).
//   node bench/object-ring.mjs [--messages N] [--runs N]
// Prints each variant's median exchange time, messages/s, and its ratio to the floor.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { destroyMemoryObject, newMemoryObject } from "../dist/host/index.js";
import { median } from "./measure.mjs";

const { values } = parseArgs({ options: { messages: { type: "string", default: "1000000" }, runs: { type: "string", default: "5" } } });
const MESSAGES = Number(values.messages);
const RUNS = Number(values.runs);
const RING = fileURLToPath(new URL("../test/fixtures/ring.mjs", import.meta.url));
const BYTES = 65536;

function parsed(out, what) {
  const result = JSON.parse(out);
  if (result.bad !== 0 || result.messages !== MESSAGES) throw new Error(`${what}: ${out}`);
  return result.ms;
}

function inProcess(role, name, sab) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(RING, { argv: [name, String(role), String(MESSAGES), sab ? "sab" : "js"], stdout: true, workerData: { sab } });
    let out = "";
    worker.stdout.on("data", (d) => (out += d));
    worker.once("error", reject);
    worker.once("exit", () => resolve(parsed(out, "worker")));
  });
}

function inChild(role, name, pureSpin) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MMF_RING_PURE_SPIN: pureSpin ? "1" : "0" };
    const child = spawn(process.execPath, [RING, name, String(role), String(MESSAGES), "js"], { stdio: ["ignore", "pipe", "inherit"], env });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("exit", () => resolve(parsed(out, "process")));
  });
}

/** One exchange: the consumer's time (the producer's ends a few slots earlier). */
async function once(variant) {
  if (variant === "workers, SharedArrayBuffer") {
    const sab = new SharedArrayBuffer(BYTES);
    return (await Promise.all([inProcess(0, "", sab), inProcess(1, "", sab)]))[1];
  }
  const object = newMemoryObject(`mmf-bench-ring-${process.pid}`, "wx+");
  try {
    object.truncate(BYTES);
    const side = variant.startsWith("processes") ? (role, name) => inChild(role, name, variant.endsWith("pure spin")) : (role, name) => inProcess(role, name);
    return (await Promise.all([side(0, object.name()), side(1, object.name())]))[1];
  } finally {
    object.destroy();
  }
}

const variants = ["processes, memory object", "processes, pure spin", "workers, memory object", "workers, SharedArrayBuffer"];
const times = Object.fromEntries(variants.map((v) => [v, []]));
for (let run = 0; run < RUNS; run++) for (const variant of variants) times[variant].push(await once(variant));
destroyMemoryObject(`mmf-bench-ring-${process.pid}`);
const floor = median(times["workers, SharedArrayBuffer"]);
console.log(`${MESSAGES.toLocaleString("en")} messages of 16 bytes, median of ${RUNS} runs in turns`);
for (const variant of variants) {
  const ms = median(times[variant]);
  console.log(
    `${variant.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  ${Math.round(MESSAGES / (ms / 1000))
      .toLocaleString("en")
      .padStart(11)} messages/s  ${(ms / floor).toFixed(2)}x the floor`,
  );
}
