// @ts-check
// The install step on a machine without a C compiler: with a prebuilt helper for this platform it
// compiles nothing and the native backend runs; without one it warns, and the host runs on the
// emulated backend with one loud warning that says why and how to fix it. (Backend-independent:
// test/run.mjs runs it once.)
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { root, tracked } from "./helpers.mjs";

const test = suite("install");
const track = tracked(test);

/** A copy of the package as it installs (with or without its prebuilds), sharing node_modules. */
function packageCopy(withPrebuilds) {
  const copy = join(track.dir(), "pkg");
  const parts = ["package.json", "binding.gyp", "host", "assembly", "scripts", "dist/mmf.wasm", "dist/host", ...(withPrebuilds ? ["prebuilds"] : [])];
  for (const part of parts) cpSync(join(root, part), join(copy, part), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  return copy;
}

const noCompiler = { ...process.env, CC: "/nonexistent/cc", CXX: "/nonexistent/c++", MMF_BACKEND: "" };

test("without a compiler, the prebuilt helper is used as it is and the demo runs on the native backend", () => {
  const copy = packageCopy(true);
  const install = spawnSync("npm", ["run", "install"], { cwd: copy, env: noCompiler, encoding: "utf8" });
  assert.is(install.status, 0, install.stderr);
  assert.match(install.stdout, /using the prebuilt native helper/);
  assert.not.ok(existsSync(join(copy, "build")), "nothing was compiled");
  const start = spawnSync(process.execPath, ["dist/host/cli.js", "--size", "2"], { cwd: copy, env: noCompiler, encoding: "utf8" }); // what npm start runs, on a small sample
  assert.is(start.status, 0, start.stderr);
  assert.match(start.stdout, /backend: native/);
  assert.is(start.stderr, "");
});

test("without a compiler or a prebuilt helper, the install step warns, and the demo falls back loudly to the emulated backend", () => {
  const copy = packageCopy(false);
  const install = spawnSync("npm", ["run", "install"], { cwd: copy, env: noCompiler, encoding: "utf8" });
  assert.is(install.status, 0, install.stderr);
  assert.match(install.stderr + install.stdout, /emulated backend .* will be used/);
  assert.not.ok(existsSync(join(copy, "build/Release/mmf_native.node")), "no helper was built");
  const start = spawnSync(process.execPath, ["dist/host/cli.js", "--size", "2"], { cwd: copy, env: noCompiler, encoding: "utf8" }); // what npm start runs, on a small sample
  assert.is(start.status, 0, start.stderr);
  assert.match(start.stdout, /verified/);
  assert.match(start.stdout, /backend: emulated .*NOT zero-copy/);
  assert.not.match(start.stdout, /zero-copy: the view/);
  assert.is(start.stderr.split("\n").filter((l) => l.includes("WARNING: the native helper did not load")).length, 1, start.stderr);
  assert.match(start.stderr, /why: No native build was found for platform=linux arch=x64/);
  assert.match(start.stderr, /npm rebuild wasm-mmf/);
  assert.match(start.stderr, /MMF_BACKEND=emulated/);
});

test.run();
