// Installing without a C compiler still works: the install step warns, and the host runs on the
// emulated backend with one warning. (Backend-independent: test/run.mjs runs it once.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { root, tempDir } from "./helpers.mjs";

test("the install step tolerates a missing compiler, and `npm start` falls back to the emulated backend", () => {
  const copy = join(tempDir(), "pkg");
  for (const part of ["package.json", "binding.gyp", "host", "assembly", "scripts", "dist/mmf.wasm", "dist/host"]) {
    cpSync(join(root, part), join(copy, part), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  const env = { ...process.env, CC: "/nonexistent/cc", CXX: "/nonexistent/c++", MMF_BACKEND: "" };
  const install = spawnSync("npm", ["run", "install"], { cwd: copy, env, encoding: "utf8" });
  assert.is(install.status, 0, install.stderr);
  assert.match(install.stderr + install.stdout, /emulated backend .* will be used/);
  assert.not.ok(existsSync(join(copy, "build/Release/mmf_native.node")), "no helper was built");
  const start = spawnSync("npm", ["start", "--silent"], { cwd: copy, env, encoding: "utf8" });
  assert.is(start.status, 0, start.stderr);
  assert.match(start.stdout, /verified/);
  const warnings = start.stderr.split("\n").filter((l) => l.includes("using the emulated backend"));
  assert.is(warnings.length, 1, start.stderr);
});

test.run();
