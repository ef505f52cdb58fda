// `npm start` with no arguments: map, copy and verify a generated sample file (24 MiB; `mmf demo
// --size MiB` picks another size, which the tests keep small).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyFile } from "./copy.js";
import { openFile } from "./mapped-file.js";
import { MemoryRegionReader } from "./region-cursor.js";
import { MEM_COPY_ON_WRITE, MEM_READ_ONLY, type Mmf } from "./mmf.js";
import { formatBytes } from "./progress.js";

/** The demo's default sample size: 24 MiB. */
export const DEMO_SIZE = 24 * 1024 * 1024;

/** The sample: `size` bytes (a multiple of 4) of xorshift32 from a fixed seed. */
export function sampleBytes(size = DEMO_SIZE, seed = 0x9e3779b9): Uint8Array {
  const words = new Uint32Array(size / 4);
  let x = seed >>> 0;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return new Uint8Array(words.buffer);
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export interface DemoOptions {
  /** Bytes of the sample, a multiple of 4 above the demo's offset 67746 (DEMO_SIZE by default). */
  size?: number;
  /** Where each line of the report goes (console.log by default). */
  log?: (line: string) => void;
}

export function runDemo(mmf: Mmf, { size = DEMO_SIZE, log = console.log }: DemoOptions = {}): void {
  const dir = mkdtempSync(join(tmpdir(), "mmf-demo-"));
  try {
    const samplePath = join(dir, "sample.bin");
    const copyPath = join(dir, "copy.bin");
    const bytes = sampleBytes(size);
    writeFileSync(samplePath, bytes);
    log(`wrote a sample file of ${formatBytes(bytes.length)} (${samplePath})`);

    log(
      mmf.backend === "native"
        ? "backend: native (the helper maps the file's pages into the Wasm memory: zero-copy)"
        : "backend: emulated (regions are copies of the file made through node:fs: NOT zero-copy)",
    );

    const file = openFile(samplePath, "r");
    const offset = 67746; // not on a page boundary: regions start at any byte
    const region = mmf.newMemoryRegion(file, MEM_READ_ONLY, offset, 0);
    const data = region.data();
    const sameBuffer = data.buffer === mmf.memory.buffer;
    const how = mmf.backend === "native" ? "mapped" : "copied";
    log(
      `${how} ${formatBytes(region.size())} from byte ${offset} read-only into Wasm memory at address ${data.byteOffset}` +
        (mmf.backend === "native" ? ` (zero-copy: ${sameBuffer ? "the view is the Wasm memory itself" : "NOT the Wasm memory"})` : ""),
    );
    const head = new Uint8Array(8);
    new MemoryRegionReader(region).readAt(head, 0);
    log(`first bytes through a MemoryRegionReader: ${Buffer.from(head).toString("hex")}`);
    region.close();

    const scratch = mmf.newMemoryRegion(file, MEM_COPY_ON_WRITE, 0, 4096);
    scratch.data().fill(0);
    scratch.close();
    log("wrote zeros into a MEM_COPY_ON_WRITE region: private, the file keeps its bytes");
    file.close();

    const result = copyFile(mmf, samplePath, copyPath, { windowBytes: 8 * 1024 * 1024 });
    log(
      `copied ${formatBytes(result.bytes)} through ${result.windows} pairs of regions in ${(result.seconds * 1000).toFixed(1)} ms ` +
        `(${(result.bytes / result.seconds / 1e6).toFixed(0)} MB/s)`,
    );

    const want = sha256(bytes);
    const got = sha256(readFileSync(copyPath));
    if (got !== want) throw new Error(`verification failed: sha256 ${got} != ${want}`);
    log(`verified: the copy's sha256 ${got.slice(0, 16)}… equals the sample's`);
    log(`live regions now: ${mmf.stats().regions}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
