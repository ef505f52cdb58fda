// The emulated backend's write-back (one pwrite per changed run of bytes), against writing the
// whole region with fs.writeSync, side by side in one run, for a few shapes of change.
//   node bench/write-back.mjs [--size MiB] [--runs N]
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createMmf, openFile, MEM_READWRITE } from "../dist/host/index.js";
import { interleavedMedians } from "./measure.mjs";

const { values } = parseArgs({ options: { size: { type: "string", default: "64" }, runs: { type: "string", default: "5" } } });
const SIZE = Number(values.size) * 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), "mmf-bench-wb-"));
const path = join(dir, "wb.bin");
writeFileSync(path, new Uint8Array(SIZE));
const mmf = createMmf({ backend: "emulated" });

const shapes = {
  "every byte": (d, v) => d.fill(v),
  "one byte per 4 KiB page": (d, v) => {
    for (let i = 0; i < d.length; i += 4096) d[i + 100] = v;
  },
  "64 bytes of every 128": (d, v) => {
    for (let i = 0; i < d.length; i += 128) d.fill(v, i, i + 64);
  },
  nothing: () => {},
};
let value = 0;
console.log(`flush(true) of a ${values.size} MiB MEM_READWRITE region on the emulated backend, medians of ${values.runs}:`);
for (const [label, change] of Object.entries(shapes)) {
  const times = await interleavedMedians(Number(values.runs), {
    flush: {
      setup: () => {
        const file = openFile(path, "r+");
        const region = mmf.newMemoryRegion(file, MEM_READWRITE);
        change(region.data(), (value = (value % 250) + 1));
        return { file, region };
      },
      fn: ({ region }) => region.flush(true),
      teardown: ({ file, region }) => {
        region.close();
        file.close();
      },
    },
    writeSync: {
      setup: () => new Uint8Array(SIZE).fill(1),
      fn: (bytes) => {
        const fd = openSync(path, "r+");
        writeSync(fd, bytes, 0, SIZE, 0);
        closeSync(fd);
      },
    },
  });
  console.log(
    `  ${label.padEnd(24)} flush ${times.flush.toFixed(1)} ms, writeSync of the whole region ${times.writeSync.toFixed(1)} ms, ratio ${(times.flush / times.writeSync).toFixed(2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
