// @ts-check
// The `mmf copy` command as the copy suites run it, and what a refused copy must leave.
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { backend, readBytes, root } from "./helpers.mjs";

const cli = join(root, "dist/host/cli.js");

/** Runs `mmf ARGS...` on the suite's backend. A timeout: a FIFO opened for reading blocks until a writer comes, and must not hang the copy. */
export const mmfCli = (...args) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000, env: { ...process.env, MMF_BACKEND: backend } });

/** What a destination holds before a copy that must not touch it. */
export const OLD = new TextEncoder().encode("the destination as it was\n");

/** Asserts a failed run: exit 1, one line on stderr matching `message`, the destination and its folder as they were. */
export function assertRefused(run, message, dst, folderBefore) {
  assert.is(run.status, 1, `exit status ${run.status} ${run.signal ?? ""}: ${run.stderr}`);
  assert.is(run.stdout, "", "no 'copied' line");
  const lines = run.stderr.trim().split("\n");
  assert.is(lines.length, 1, run.stderr);
  assert.match(lines[0], message);
  assert.equal(readBytes(dst), OLD, "the destination is untouched");
  assert.equal(readdirSync(join(dst, "..")).sort(), folderBefore, "no temporary file left");
}
