// `npm run test:wasmtime`: the WASI suite under Wasmtime, when a `wasmtime` binary is on PATH.
// Without one it says so and counts nothing: a skipped run is never a passed one.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtures, suiteWasm } from "./fixtures.mjs";

const probe = spawnSync("wasmtime", ["--version"], { encoding: "utf8" });
if (probe.error || probe.status !== 0) {
  console.log("wasmtime: not found on PATH, so the WASI suite was NOT run under Wasmtime (skipped, not passed).");
} else {
  const dir = mkdtempSync(join(tmpdir(), "mmf-wasmtime-"));
  try {
    for (const [name, bytes] of Object.entries(fixtures())) writeFileSync(join(dir, name), bytes);
    console.log(`${probe.stdout.trim()}: wasmtime run --dir ${dir}::/fixtures ${fileURLToPath(suiteWasm)}`);
    const run = spawnSync("wasmtime", ["run", "--dir", `${dir}::/fixtures`, fileURLToPath(suiteWasm)], { stdio: "inherit" });
    process.exitCode = run.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
