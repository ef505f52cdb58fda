// @ts-check
// The `mmf` command's arguments, usage, version and one-line errors, and `npm start`. Each exit-code
// class is checked on a real process (what a shell sees); the other argument lists of the class go
// through the command's own module (host/command.ts, which dist/host/cli.js runs on the process's
// arguments) in this process, which saves a Node start-up each. None of it depends on the backend:
// test/run.mjs runs this file once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mmfHere, readBytes, root, tempDir, writeFile } from "./helpers.mjs";

const test = suite("cli-usage");

const dir = tempDir();
const cli = join(root, "dist/host/cli.js");

/** `mmf ARGS...` as a real process: { status, stdout, stderr }. */
const mmfProcess = (/** @type {string[]} */ args) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

/**
 * Runs each argument list, the first as a real process and the others here.
 * @param {string[][]} cases
 * @returns {Promise<Array<{ args: string[], run: { status: number | null, stdout: string, stderr: string } }>>}
 */
async function runEach(cases) {
  const runs = [];
  for (const [i, args] of cases.entries()) runs.push({ args, run: i === 0 ? mmfProcess(args) : await mmfHere(args) });
  return runs;
}

test("operation errors print one line on stderr, no stack trace, and exit 1", async () => {
  writeFile(dir, "a.bin", new Uint8Array(10));
  const runs = await runEach([
    ["copy", join(dir, "missing.bin"), join(dir, "x.bin")],
    ["copy", join(dir, "a.bin"), join(dir, "a.bin")],
  ]);
  for (const { args, run } of runs) {
    assert.is(run.status, 1, args.join(" "));
    const lines = run.stderr.trim().split("\n");
    assert.is(lines.length, 1, `${args.join(" ")}: ${run.stderr}`);
    assert.match(lines[0], /^mmf: /);
    assert.not.match(run.stderr, /\n\s+at /);
    assert.is(run.stdout, "");
  }
  assert.equal(readBytes(join(dir, "a.bin")), new Uint8Array(10), "copying a file onto itself leaves it intact");
});

test("usage errors print one line that names the fault, then the usage, and exit 2", async () => {
  /** @type {Array<[string[], RegExp]>} */
  const cases = [
    [["frobnicate"], /unknown command "frobnicate"/],
    [["copy", "only-one-arg"], /copy takes SRC and DST/],
    [["copy", join(dir, "a.bin"), join(dir, "b.bin"), "--window", "0"], /--window must be a whole number of MiB from 1 to 1024, got 0/],
    [["--bogus"], /bogus/],
    [["demo", "extra"], /demo takes no arguments/],
    [["--window"], /--window/],
    [["--size", "0"], /--size must be a whole number of MiB from 1 to 1024, got 0/],
    [["demo", "--size", "2.5"], /--size must be .*, got 2\.5/],
    [["--size", "1025"], /--size must be .*, got 1025/],
    [["--size", "-1"], /--size/],
    [["--size", "two"], /--size must be .*, got two/],
    [["copy", join(dir, "a.bin"), join(dir, "b.bin"), "--size", "2"], /--size is an option of demo, not of copy/],
    [["demo", "--window", "2"], /--window is an option of copy, not of demo/],
  ];
  const runs = await runEach(cases.map(([args]) => args));
  for (const [i, { args, run }] of runs.entries()) {
    assert.is(run.status, 2, args.join(" "));
    const [first, ...rest] = run.stderr.trim().split("\n");
    assert.match(first, /^mmf: /);
    assert.match(first, cases[i][1], args.join(" "));
    assert.match(rest.join("\n"), /^usage: mmf/);
    assert.not.match(run.stderr, /\n\s+at /);
    assert.is(run.stdout, "");
  }
  assert.not.ok(existsSync(join(dir, "b.bin")), "a refused copy writes nothing");
});

test("mmf --version, -v, help, --help and -h exit 0 and print to stdout", async () => {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const { args, run } of await runEach([["--version"], ["-v"]])) {
    assert.is(run.status, 0, `${args}: ${run.stderr}`);
    assert.is(run.stdout, `${version}\n`);
    assert.is(run.stderr, "");
  }
  for (const { args, run } of await runEach([["help"], ["--help"], ["-h"], ["copy", "--help"]])) {
    assert.is(run.status, 0, `${args}: ${run.stderr}`);
    assert.match(run.stdout, /^usage: mmf/);
    assert.match(run.stdout, /mmf copy SRC DST/);
    assert.match(run.stdout, /--size MiB/);
    assert.is(run.stderr, "");
  }
});

test("npm start runs the demo on its default 24 MiB sample", () => {
  const run = spawnSync("npm", ["start", "--silent"], { cwd: root, encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /^wrote a sample file of 24\.0 MiB/);
  assert.match(run.stdout, /verified: the copy's sha256/);
});

test.run();
