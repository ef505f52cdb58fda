// @ts-check
// `mmf copy` validates before it destroys and checks after it copies (issue 9, item 2): a source
// truncated during the copy, a destination that runs out of space: exit 1 with one line on stderr,
// the destination untouched, no temporary file left. (Sources that are not regular files, refused
// before any map: copy-sources.test.mjs.)
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { createMmf } from "../dist/host/index.js";
import { copyFile } from "../dist/host/copy.js";
import { assertRefused, mmfCli as mmf, OLD } from "./copy-cli.mjs";
import { pattern, readBytes, tempDir, writeFile, tracked } from "./helpers.mjs";
import { mountUnavailable, withExt4, withTmpfs } from "./mounts.mjs";

const test = suite("copy");
const track = tracked(test);

const dir = tempDir();
const MiB = 2 ** 20;
const unavailable = mountUnavailable();
const LONG = process.env.MMF_RELIABILITY === "1";

test("an existing destination is replaced only at the end, keeping its mode", () => {
  const src = track.path(writeFile(dir, "mode-src.bin", pattern(3 * MiB + 5, 4)));
  const dst = track.path(writeFile(dir, "mode-dst.bin", OLD));
  chmodSync(dst, 0o640);
  const run = mmf("copy", src, dst, "--window", "1");
  assert.is(run.status, 0, run.stderr);
  assert.equal(readBytes(dst), readBytes(src));
  assert.is(statSync(dst).mode & 0o777, 0o640);
});

test("a source truncated during the copy: an error, never 'copied', the destination untouched", () => {
  const size = 8 * MiB;
  const m = track(createMmf());
  // Between windows (the next window is past the new end), and after the last one (only the final
  // size check can tell).
  for (const [label, when, to] of /** @type {const} */ ([
    ["between windows", 1, 3 * MiB + 100],
    ["after the last window", 8, 5 * MiB],
  ])) {
    const src = writeFile(dir, "shrinking.bin", pattern(size, 5));
    const dst = writeFile(dir, "shrinking-dst.bin", OLD);
    const before = readdirSync(dir).sort();
    let calls = 0;
    let error;
    try {
      copyFile(m, src, dst, { windowBytes: MiB, onProgress: () => ++calls === when && truncateSync(src, to) });
    } catch (err) {
      error = err;
    }
    assert.ok(error?.name === "MmfError", `${label}: ${error}`);
    assert.match(error.message, /source .* changed/);
    assert.equal(readBytes(dst), OLD, label);
    assert.equal(readdirSync(dir).sort(), before, `${label}: no temporary file left`);
    console.log(`  ${label}: ${error.message}`);
  }
});

test("a source truncated by another thread while a window is mapped: an error, the destination untouched", async () => {
  const size = LONG ? 256 * MiB : 64 * MiB;
  const src = track.path(writeFile(dir, "raced.bin", new Uint8Array(size).fill(0x5a))); // not zeros: zero chunks are skipped
  const dst = track.path(writeFile(dir, "raced-dst.bin", OLD));
  const before = readdirSync(dir).sort();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = track(
    new Worker(
      `
    const { workerData } = require("node:worker_threads");
    const { truncateSync } = require("node:fs");
    Atomics.wait(workerData.signal, 0, 0);
    truncateSync(workerData.src, 1024 * 1024);`,
      { eval: true, workerData: { signal, src } },
    ),
  );
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  let error;
  try {
    copyFile(createMmf(), src, dst, {
      windowBytes: size / 4,
      onProgress: () => {
        Atomics.store(signal, 0, 1);
        Atomics.notify(signal, 0);
      },
    });
  } catch (err) {
    error = err;
  }
  await exited;
  assert.ok(error?.name === "MmfError", String(error));
  assert.equal(readBytes(dst), OLD);
  assert.equal(readdirSync(dir).sort(), before, "no temporary file left");
  console.log(`  ${error.code}: ${error.message}`);
});

/** @type {Array<[string, (fn: (dir: string) => Promise<void>) => Promise<void>]>} */
const mounts = [
  ["tmpfs of 1 MiB", (fn) => withTmpfs(MiB, fn)],
  ["ext4 of 8 MiB on a loop device", (fn) => withExt4(8 * MiB, ({ dir: d }) => fn(d))],
];
for (const [name, mount] of mounts) {
  const title = `a destination on a full ${name}: exit 1 with ENOSPC, the destination untouched, no temporary file left`;
  if (unavailable) {
    console.log(`  skipped (${unavailable}): ${title}`);
    test.skip(title, () => {});
    continue;
  }
  test(title, async () => {
    const src = writeFile(dir, "big-src.bin", pattern(12 * MiB, 7));
    await mount(async (mounted) => {
      const dst = join(mounted, "dst.bin");
      writeFileSync(dst, OLD);
      const before = readdirSync(mounted).sort();
      const run = mmf("copy", src, dst, "--window", "1");
      assertRefused(run, /^mmf: copy: .*ENOSPC/, dst, before);
      console.log(`  ${run.stderr.trim()}`);
    });
  });
}

test.run();
