// @ts-check
// createMmf's own failures are MmfErrors, as the README promises of every failure: no room for the
// 4 GiB Wasm memory (a low `ulimit -v`), no core module. Each in a child process. Neither depends on
// the backend: test/run.mjs runs this file once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { root, underQemu, tracked } from "./helpers.mjs";

const test = suite("create-mmf");
const track = tracked(test);

test("with no room for a Wasm memory (ulimit -v): MmfError ENOMEM from createMmf, or from the first map that needs the memory to grow, and the process goes on", () => {
  if (underQemu) {
    console.log("  skipped under qemu-user (the limit would bind the emulator): createMmf under ulimit -v");
    return;
  }
  // 2 GB of address space: Node starts, V8 cannot reserve the 4 GiB (and guard pages) of a memory.
  // Node 20 and 22 then refuse the memory (createMmf throws); Node 24 and 26 make one that cannot
  // grow past its first pages (the first region that needs more throws). ENOMEM either way.
  const big = join(track.dir(), "big.bin");
  writeFileSync(big, new Uint8Array(64 * 2 ** 20));
  const script = `
    const { createMmf, openFile, MEM_READ_ONLY } = await import(${JSON.stringify(pathToFileURL(join(root, "dist/host/index.js")).href)});
    let outcome;
    try {
      const mmf = createMmf();
      mmf.newMemoryRegion(openFile(${JSON.stringify(big)}), MEM_READ_ONLY, 0, 0);
      outcome = "mapped";
    } catch (err) { outcome = err.name + " " + err.code + " " + err.message; }
    console.log(outcome);
    console.log("still running");`;
  const run = spawnSync("sh", ["-c", 'ulimit -v 2000000 && exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /^MmfError ENOMEM (createMmf: cannot reserve the 4 GiB address space of a Wasm memory|newMemoryRegion\(.*\): no room left in the 4 GiB Wasm address space)/,
  );
  assert.match(run.stdout, /still running/);
  console.log(`  ${process.version}: ${run.stdout.split("\n")[0].slice(0, 100)}`);
});

test("createMmf without its core module (dist/mmf.wasm) throws MmfError EIO naming it", () => {
  const copy = join(track.dir(), "pkg");
  for (const part of ["package.json", "dist/host"]) cpSync(join(root, part), join(copy, part), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  const script = `
    const { createMmf } = await import(${JSON.stringify(pathToFileURL(join(copy, "dist/host/index.js")).href)});
    try { createMmf({ backend: "emulated" }); console.log("created"); } catch (err) { console.log(err.name + " " + err.code + " " + err.message); }`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /^MmfError EIO createMmf: cannot load the core module dist\/mmf.wasm \(ENOENT/);
});

test.run();
