// Durability (issue 5, point 2): what a writer that is killed, or exits, leaves in the file.
// MMF_RELIABILITY=1 (npm run test:reliability) runs many more trials.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { backend, pattern, readBytes, root, tempDir, testNode, writeFile } from "./helpers.mjs";
import { plannedWrites } from "./fixtures/writes.mjs";

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const SIZE = 256 * 1024;
const writer = join(root, "test/fixtures/writer.mjs");

/** Runs one writer to "done", then SIGKILLs it (unless it exits by itself); returns its exit. */
function runWriter(path, seed, count, end) {
  return new Promise((resolve, reject) => {
    const child = spawn(testNode.file, [...testNode.args, writer, path, String(seed), String(count), end], { stdio: ["ignore", "pipe", "pipe"] });
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
  const n = LONG ? 500 : 12;
  const bytes = await trials("flush", n);
  console.log(`  [${backend}] ${n} killed writers, ${bytes} flushed bytes, all in the file`);
});

test("close() without flush, then SIGKILL: the bytes are in the file", async () => {
  const n = LONG ? 200 : 6;
  const bytes = await trials("close", n);
  console.log(`  [${backend}] ${n} killed writers after close, ${bytes} bytes, all in the file`);
});

test("a clean exit without flush or close: the bytes are in the file", async () => {
  const n = LONG ? 200 : 6;
  const bytes = await trials("exit", n);
  console.log(`  [${backend}] ${n} writers exited without close, ${bytes} bytes, all in the file`);
});

test("no flush, no close, SIGKILL: native keeps the bytes (page cache), emulated loses them", async () => {
  const kept = backend === "native";
  await trials("none", LONG ? 50 : 3, kept);
  console.log(`  [${backend}] killed without flush or close: the writes were ${kept ? "kept" : "lost, as documented"}`);
});

test.run();
