// @ts-check
// The WASI suite under Wasmtime: the `wasmtime` CLI when it is on PATH, else Wasmtime's own WASI
// through wasmtime-py (test/wasi/wasmtime_wasi.py, the same WASI preview1 implementation).
// Without either it says so and counts nothing: a skipped run is never a passed one.
// `npm run test:wasmtime` runs this; test/run.mjs runs it as the third WASI host.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmtimePython } from "../wasmtime-python.mjs";
import { fixtures, suiteWasm } from "./fixtures.mjs";

const wasm = fileURLToPath(suiteWasm);
const cli = spawnSync("wasmtime", ["--version"], { encoding: "utf8" });
const python = cli.error || cli.status !== 0 ? wasmtimePython() : undefined;
if (python?.skip) {
  console.log(`Wasmtime: SKIPPED, not passed: no \`wasmtime\` on PATH, and ${python.skip}`);
} else {
  const dir = mkdtempSync(join(tmpdir(), "mmf-wasmtime-"));
  try {
    for (const [name, bytes] of Object.entries(fixtures())) writeFileSync(join(dir, name), bytes);
    const [command, args] = /** @type {[string, string[]]} */ (
      python
        ? [python.python, [fileURLToPath(new URL("wasmtime_wasi.py", import.meta.url)), dir, wasm]]
        : ["wasmtime", ["run", "--dir", `${dir}::/fixtures`, wasm]]
    );
    console.log(python ? `${command} ${args.join(" ")}` : `${cli.stdout.trim()}: wasmtime ${args.join(" ")}`);
    const run = spawnSync(command, args, { stdio: "inherit" });
    process.exitCode = run.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
