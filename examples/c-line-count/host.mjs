// Node host for the C line-count guest (guest.c, a WASI command):
//   node examples/c-line-count/host.mjs FILE [WINDOW_MIB] [START]
// It preopens FILE's folder as /data for the `mmf` imports (MmfHost's own preopens, separate from
// WASI's: the guest gets no WASI preopen at all) and gives the guest WASI only for its arguments
// and its output.
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WASI } from "node:wasi";
import { MmfHost } from "wasm-mmf";
import { rerunWithWasiGuard } from "../../scripts/wasi-guard.mjs";

const guest = new URL("../../dist/examples/c-line-count.wasm", import.meta.url);

/**
 * Runs the guest on `file` from byte `start`, mapping `windowMiB` at a time, under `backend`
 * ("native", "emulated" or "auto"). Returns { lines, exitCode, stderr, mappingsLeft, handlesLeft }.
 */
export async function countLines(file, { windowMiB = 64, start = 0, backend } = {}) {
  const host = new MmfHost({ preopens: { "/data": dirname(resolve(file)) }, backend });
  const out = join(tmpdir(), `mmf-c-line-count-${process.pid}-${Date.now()}`);
  const stdout = openSync(`${out}.out`, "w+");
  const stderr = openSync(`${out}.err`, "w+");
  try {
    const wasi = new WASI({
      version: "preview1",
      args: ["line-count", `/data/${basename(file)}`, String(windowMiB), String(start)],
      stdout,
      stderr,
      returnOnExit: true,
    });
    const module = await WebAssembly.compile(readFileSync(guest));
    const instance = await WebAssembly.instantiate(module, { mmf: host.imports, ...wasi.getImportObject() });
    host.attach(instance); // before the guest runs: every import but page_size, file_size and close needs the memory
    const exitCode = wasi.start(instance);
    const text = readFileSync(`${out}.out`, "utf8").trim();
    return {
      lines: exitCode === 0 ? BigInt(text) : undefined,
      exitCode,
      stderr: readFileSync(`${out}.err`, "utf8"),
      mappingsLeft: host.mappingCount,
      handlesLeft: host.handleCount,
    };
  } finally {
    host.close();
    closeSync(stdout);
    closeSync(stderr);
    rmSync(`${out}.out`, { force: true });
    rmSync(`${out}.err`, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rerunWithWasiGuard(); // node:wasi on Node 20 and 22 needs --no-turbo-fast-api-calls
  const [file, window, start] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node examples/c-line-count/host.mjs FILE [WINDOW_MIB] [START]");
    process.exit(2);
  }
  const result = await countLines(file, { windowMiB: window ? Number(window) : undefined, start: start ? Number(start) : 0 });
  process.stderr.write(result.stderr);
  if (result.exitCode !== 0) process.exit(result.exitCode);
  console.log(String(result.lines));
}
