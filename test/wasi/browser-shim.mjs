// @ts-check
// Runs the WASI suite under @bjorn3/browser_wasi_shim: a second, independent WASI
// implementation in plain JavaScript with an in-memory file system (as in a browser).
import { readFileSync } from "node:fs";
import { ConsoleStdout, File, OpenFile, PreopenDirectory, WASI, WASIProcExit } from "@bjorn3/browser_wasi_shim";
import { fixtures, suiteWasm } from "./fixtures.mjs";

const files = new Map(Object.entries(fixtures()).map(([name, bytes]) => [name, new File(bytes)]));
const fds = [
  new OpenFile(new File([])),
  ConsoleStdout.lineBuffered((line) => console.log(line)),
  ConsoleStdout.lineBuffered((line) => console.error(line)),
  new PreopenDirectory("/fixtures", files),
];
const wasi = new WASI(["mmf-tests"], [], fds, { debug: false });
const { instance } = await WebAssembly.instantiate(readFileSync(suiteWasm), { wasi_snapshot_preview1: wasi.wasiImport });
try {
  process.exitCode = wasi.start(/** @type {any} */ (instance)); // its exports, as the shim wants them
} catch (err) {
  if (!(err instanceof WASIProcExit)) throw err;
  process.exitCode = err.code;
}
