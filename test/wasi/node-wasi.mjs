// @ts-check
// Runs the WASI suite under Node's own node:wasi, with a temporary folder preopened as /fixtures.
// Run with --no-turbo-fast-api-calls: on Node 20, node:wasi can crash when the collector runs
// inside fd_pread (nodejs/node#46777); the flag keeps the WASI calls off V8's fast-call path.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
import { fixtures, suiteWasm } from "./fixtures.mjs";

const dir = mkdtempSync(join(tmpdir(), "mmf-wasi-"));
try {
  for (const [name, bytes] of Object.entries(fixtures())) writeFileSync(join(dir, name), bytes);
  const wasi = new WASI({ version: "preview1", args: ["mmf-tests"], preopens: { "/fixtures": dir }, returnOnExit: true });
  const module = await WebAssembly.compile(readFileSync(suiteWasm));
  const instance = await WebAssembly.instantiate(module, /** @type {WebAssembly.Imports} */ (wasi.getImportObject()));
  process.exitCode = wasi.start(instance);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
