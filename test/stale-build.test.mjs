// @ts-check
// test/run.mjs refuses a build older than its sources (scripts/stale-build.mjs), so that no run tests
// code that is not the tree's. Run against a small tree of its own in a temporary folder: the
// runner and what it imports, one passing suite, a source and its build output per build step,
// their modification times set by hand.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { staleBuild } from "../scripts/stale-build.mjs";
import { tempDir } from "./helpers.mjs";

const stale = suite("a stale build");
const root = fileURLToPath(new URL("..", import.meta.url));
const RUNNER = ["test/run.mjs", "test/helpers.mjs", "test/wasmtime-python.mjs", "scripts/wasi-guard.mjs", "scripts/stale-build.mjs"];
const helper = `prebuilds/${process.platform}-${process.arch}/wasm-mmf.glibc.node`;
// [source, its build output] for the core module, the host's JavaScript and the native helper.
const STEPS = [
  ["assembly/index.ts", "dist/mmf.wasm"],
  ["host/mmf.ts", "dist/host/mmf.js"],
  ["host/native/mmf_native.c", helper],
];
const SOURCE_TIME = new Date("2026-01-01T00:00:00Z");
const BUILD_TIME = new Date("2026-01-02T00:00:00Z");

/** A tree whose sources are from SOURCE_TIME and whose build outputs are from BUILD_TIME. */
function freshTree() {
  const tree = tempDir("mmf-stale-");
  const write = (file, text, time) => {
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    writeFileSync(join(tree, file), text);
    utimesSync(join(tree, file), time, time);
  };
  for (const file of RUNNER) {
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    copyFileSync(join(root, file), join(tree, file));
  }
  mkdirSync(join(tree, "test/wasmtime"));
  symlinkSync(join(root, "node_modules"), join(tree, "node_modules"));
  write("test/one.test.mjs", 'import { test } from "uvu";\ntest("runs", () => {});\ntest.run();\n', SOURCE_TIME);
  for (const [source, output] of STEPS) {
    write(source, "// a source\n", SOURCE_TIME);
    write(output, "a build output\n", BUILD_TIME);
  }
  return tree;
}

/** test/run.mjs of `tree`, on the native backend only, its one suite selected. */
function runner(tree) {
  return spawnSync(process.execPath, [join(tree, "test/run.mjs"), "one"], { encoding: "utf8", env: { ...process.env, MMF_BACKENDS: "native" } });
}

stale("a build newer than its sources is tested", () => {
  const tree = freshTree();
  assert.equal(staleBuild(tree), []);
  const run = runner(tree);
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^1 passed, 0 failed$/m);
});

// Each step's output is found stale on its own; the runner's refusal (the same list, printed) is
// checked on a real run for the last step only, which saves two runner start-ups.
for (const [i, [source, output]] of STEPS.entries()) {
  const refused = i === STEPS.length - 1;
  stale(`${source} edited after the build: ${output} is stale${refused ? ", the runner refuses it, and nothing runs" : ""}`, () => {
    const tree = freshTree();
    const later = new Date(BUILD_TIME.getTime() + 1000);
    utimesSync(join(tree, source), later, later);
    assert.equal(staleBuild(tree), [`${output} is older than ${source}`]);
    if (!refused) return;
    const run = runner(tree);
    assert.is(run.status, 1);
    assert.match(run.stdout, `The build is older than its sources: run \`npm run build\` first.\n  ${output} is older than ${source}\n`);
    assert.match(run.stdout, /^0 passed, 1 failed$/m);
    assert.not.match(run.stdout, "one.test.mjs", "a suite ran on the stale build");
  });
}

stale("a missing output is stale; MMF_ALLOW_STALE_BUILD=1 lets the runner through", () => {
  const tree = freshTree();
  utimesSync(join(tree, "host/mmf.ts"), new Date(), new Date());
  writeFileSync(join(tree, "host/copy.ts"), "// a new source, never built\n");
  assert.equal(staleBuild(tree), ["dist/host/copy.js is missing", "dist/host/mmf.js is older than host/mmf.ts"]);
  const run = spawnSync(process.execPath, [join(tree, "test/run.mjs"), "one"], {
    encoding: "utf8",
    env: { ...process.env, MMF_BACKENDS: "native", MMF_ALLOW_STALE_BUILD: "1" },
  });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^1 passed, 0 failed$/m);
});

stale.run();
