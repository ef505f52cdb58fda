// @ts-check
// The `mmf` command's arguments, usage, version and one-line errors, and `npm start`, run as real
// processes. None of it depends on the backend: test/run.mjs runs this file once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readBytes, root, tempDir, writeFile } from "./helpers.mjs";

const test = suite("cli-usage");

const dir = tempDir();
const cli = join(root, "dist/host/cli.js");
const mmf = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

test("operation errors print one line on stderr, no stack trace, and exit 1", () => {
  const cases = [
    ["copy", join(dir, "missing.bin"), join(dir, "x.bin")],
    ["copy", join(dir, "a.bin"), join(dir, "a.bin")],
  ];
  writeFile(dir, "a.bin", new Uint8Array(10));
  for (const args of cases) {
    const run = mmf(...args);
    assert.is(run.status, 1, args.join(" "));
    const lines = run.stderr.trim().split("\n");
    assert.is(lines.length, 1, `${args.join(" ")}: ${run.stderr}`);
    assert.match(lines[0], /^mmf: /);
    assert.not.match(run.stderr, /\n\s+at /);
  }
  assert.equal(readBytes(join(dir, "a.bin")), new Uint8Array(10), "copying a file onto itself leaves it intact");
});

test("usage errors print one line, then the usage, and exit 2", () => {
  const cases = [
    ["copy", "only-one-arg"],
    ["frobnicate"],
    ["copy", join(dir, "a.bin"), join(dir, "b.bin"), "--window", "0"],
    ["--bogus"],
    ["demo", "extra"],
    ["--window"],
  ];
  for (const args of cases) {
    const run = mmf(...args);
    assert.is(run.status, 2, args.join(" "));
    const [first, ...rest] = run.stderr.trim().split("\n");
    assert.match(first, /^mmf: /);
    assert.match(rest.join("\n"), /^usage: mmf/);
    assert.not.match(run.stderr, /\n\s+at /);
    assert.is(run.stdout, "");
  }
});

test("mmf --version, -v, help, --help and -h exit 0 and print to stdout", () => {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const flag of ["--version", "-v"]) {
    const run = mmf(flag);
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout, `${version}\n`);
  }
  for (const args of [["help"], ["--help"], ["-h"], ["copy", "--help"]]) {
    const run = mmf(...args);
    assert.is(run.status, 0, run.stderr);
    assert.match(run.stdout, /^usage: mmf/);
    assert.match(run.stdout, /mmf copy SRC DST/);
    assert.is(run.stderr, "");
  }
});

test("npm start runs the demo", () => {
  const run = spawnSync("npm", ["start", "--silent"], { cwd: root, encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /verified: the copy's sha256/);
});

test.run();
