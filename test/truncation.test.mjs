// A file truncated under a live region must not kill the process (issue 5, point 1): the native
// helper's SIGBUS handler maps a zero page over the faulting page and the region then reports
// ETRUNCATED. Faults outside our regions keep their old behaviour.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { truncateSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { createMmf, openFile, MemoryRegionReader, MemoryRegionWriter, MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../dist/host/index.js";
import { loadGuest, realMappingTest, root, tempDir, testNode, throwsCode, writeFile } from "./helpers.mjs";

const dir = tempDir();
const PAGE = 4096;
const fresh = (name) => writeFile(dir, name, new Uint8Array(8 * PAGE).fill(7));

realMappingTest(test, "JavaScript views: the faulting read gets zeros, then every operation is ETRUNCATED, close works", () => {
  for (const mode of [MEM_READ_ONLY, MEM_READWRITE, MEM_COPY_ON_WRITE]) {
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
    throwsCode(() => new MemoryRegionWriter(region).writeAt(new Uint8Array(1), 0), mode === MEM_READ_ONLY ? "ETRUNCATED" : "ETRUNCATED");
    throwsCode(() => new MemoryRegionReader(region).seek(0), "ETRUNCATED");
    assert.is(other.data()[0], 7, "a region that did not fault stays usable");
    region.close();
    region.close();
    other.close();
    assert.is(mmf.stats().regions, 0);
    file.close();
  }
});

realMappingTest(test, "readers: the read that faults returns zeros, the next one is ETRUNCATED", () => {
  const path = fresh("reader.bin");
  const mmf = createMmf();
  const file = openFile(path, "r");
  const region = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 0);
  const reader = new MemoryRegionReader(region);
  truncateSync(path, 2 * PAGE);
  const p = new Uint8Array(16).fill(1);
  assert.is(reader.readAt(p, 6 * PAGE), 16);
  assert.equal(p, new Uint8Array(16));
  throwsCode(() => reader.readAt(p, 0), "ETRUNCATED");
  region.close();
  file.close();
});

realMappingTest(test, "Wasm loads in a guest: no crash, then the guest's region reports ETRUNCATED", async () => {
  const path = fresh("guest.bin");
  const g = await loadGuest("api");
  const handle = g.host.grant(path, "r");
  const index = g.call("holdHandle", handle, MEM_READ_ONLY, 0n, 0n);
  assert.ok(index >= 0);
  assert.is(g.call("heldByte", index, BigInt(6 * PAGE)), 7);
  truncateSync(path, PAGE);
  assert.is(g.call("heldByte", index, BigInt(6 * PAGE)), 0, "a Wasm load past the new end reads zero");
  assert.is(g.call("checkHeld", index), -8);
  assert.is(g.call("readHeld", index, 0n), -8);
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
      region.close();
      parentPort.postMessage({ byte, code });
    }, (e) => parentPort.postMessage({ error: e.message }));`;
  const module = new URL("../dist/host/index.js", import.meta.url).href;
  const result = await new Promise((resolve, reject) => {
    const w = new Worker(script, { eval: true, workerData: { module, path } });
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
  const withHandler = spawnSync(testNode.file, [...testNode.args, "--input-type=module", "-e", `
    process.on("SIGBUS", () => { console.log("earlier handler"); process.exit(0); });
    ${prelude}
    process.kill(process.pid, "SIGBUS");
    setTimeout(() => {}, 2000);`], { encoding: "utf8" });
  assert.is(withHandler.status, 0, withHandler.stderr);
  assert.match(withHandler.stdout, /earlier handler/);
  const withoutHandler = spawnSync(testNode.file, [...testNode.args, "--input-type=module", "-e", `
    ${prelude}
    process.kill(process.pid, "SIGBUS");
    setTimeout(() => {}, 2000);`], { encoding: "utf8" });
  assert.is(withoutHandler.signal, "SIGBUS", "the default action still ends the process");
});

test("the emulated backend never faults: a truncated file leaves the copy as it was", () => {
  const path = fresh("emulated.bin");
  const mmf = createMmf({ backend: "emulated" });
  const file = openFile(path, "r+");
  const region = mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0);
  truncateSync(path, PAGE);
  assert.is(region.data()[5 * PAGE], 7);
  region.data()[6 * PAGE] = 1;
  region.close(); // write-back stops at the new end of the file
  assert.is(openFile(path).size(), PAGE);
  file.close();
});

test.run();
