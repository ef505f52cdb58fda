// Host for the line-count guest: node examples/line-count/host.mjs FILE [WINDOW_MIB]
// It preopens FILE's folder as /data, so the guest can reach that folder and nothing else.
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiate } from "@assemblyscript/loader";
import { MmfHost } from "wasm-mmf";

const guest = new URL("../../dist/examples/line-count.wasm", import.meta.url);

/** Counts the lines of `file` in the guest, mapping `windowMiB` at a time. Returns { lines, host figures }. */
export async function countLines(file, windowMiB = 256) {
  const host = new MmfHost({ preopens: { "/data": dirname(resolve(file)) } });
  const { instance, exports } = await instantiate(readFileSync(guest), { mmf: host.imports });
  host.attach(instance);
  try {
    const path = exports.__pin(exports.__newString(`/data/${basename(file)}`));
    const lines = exports.countLines(path, BigInt(windowMiB) << 20n);
    exports.__unpin(path);
    if (lines < 0n) throw new Error(`the guest failed with error code ${-lines}`);
    exports.__collect();
    return { lines, mappingsLeft: host.mappingCount, handlesLeft: host.handleCount };
  } finally {
    host.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, window] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node examples/line-count/host.mjs FILE [WINDOW_MIB]");
    process.exit(2);
  }
  const started = performance.now();
  const { lines } = await countLines(file, window ? Number(window) : undefined);
  console.log(`${lines} lines in ${file} (${((performance.now() - started) / 1000).toFixed(2)} s)`);
}
