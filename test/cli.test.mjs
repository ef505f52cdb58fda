// @ts-check
// The `mmf` command's copy and `npm start`, run as real processes, on each backend (its arguments
// and messages, which do not depend on the backend: cli-usage.test.mjs).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { backend, longOnEmulatedTest, pattern, readBytes, root, sparseFile, tempDir, writeFile, tracked } from "./helpers.mjs";
import { openSync, readSync, closeSync } from "node:fs";

const test = suite("cli");
const track = tracked(test);

const dir = tempDir();
const cli = join(root, "dist/host/cli.js");
const mmf = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

function readAt(path, offset, length) {
  const fd = openSync(path, "r");
  const out = new Uint8Array(length);
  readSync(fd, out, 0, length, offset);
  closeSync(fd);
  return out;
}

test("mmf copy copies a file through regions, in windows, and prints a summary", () => {
  const bytes = pattern(5 * 1024 * 1024 + 77, 21);
  const src = track.path(writeFile(dir, "src.bin", bytes));
  const dst = join(dir, "dst.bin");
  const run = mmf("copy", src, dst, "--window", "1");
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /copied 5242957 bytes .* s, .* MB\/s/);
  assert.equal(readBytes(dst), bytes);
});

test("mmf copy of an empty file", () => {
  const empty = track.path(writeFile(dir, "empty.bin", new Uint8Array(0)));
  const run0 = mmf("copy", empty, join(dir, "empty-copy.bin"));
  assert.is(run0.status, 0, run0.stderr);
  assert.is(statSync(join(dir, "empty-copy.bin")).size, 0);
});

longOnEmulatedTest(test, "mmf copy of a sparse file over 4 GiB: windows past 2^32, holes skipped", () => {
  const size = 4 * 2 ** 30 + 12345;
  const head = pattern(10_000, 1);
  const middle = pattern(70_000, 2);
  const tail = pattern(12345, 3);
  const src = track.path(sparseFile(dir, "huge.bin", size, { 0: head, [3 * 2 ** 30 - 5]: middle, [4 * 2 ** 30]: tail }));
  const dst = join(dir, "huge-copy.bin");
  const run = mmf("copy", src, dst, "--window", "16"); // small windows: the holes around them are skipped unread
  assert.is(run.status, 0, run.stderr);
  assert.is(statSync(dst).size, size);
  assert.equal(readAt(dst, 0, head.length), head);
  assert.equal(readAt(dst, 3 * 2 ** 30 - 5, middle.length), middle);
  assert.equal(readAt(dst, 4 * 2 ** 30, tail.length), tail);
  assert.equal(readAt(dst, 2 * 2 ** 30, 4096), new Uint8Array(4096));
  assert.ok(statSync(dst).blocks * 512 < 64 * 2 ** 20, "the copy stays sparse");
  console.log(`  ${run.stdout.trim()}`);
});

test("mmf demo (what npm start runs) maps, copies and verifies the sample (of 2 MiB: --size)", () => {
  const run = mmf("demo", "--size", "2");
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /^wrote a sample file of 2\.0 MiB/);
  assert.match(run.stdout, /from byte 67746 read-only/);
  assert.match(run.stdout, /copied 2\.0 MiB through 1 pairs of regions/);
  if (backend === "native") {
    assert.match(run.stdout, /backend: native/);
    assert.match(run.stdout, /zero-copy: the view is the Wasm memory itself/);
  } else {
    assert.match(run.stdout, /backend: emulated .*NOT zero-copy/);
    assert.not.match(run.stdout, /zero-copy: the view/);
  }
  assert.match(run.stdout, /verified: the copy's sha256/);
  assert.match(run.stdout, /live regions now: 0/);
});

test.run();
