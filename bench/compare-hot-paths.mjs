// readAt, writeAt and map/close of this build against another build of the project (say, the
// commit before a change), side by side in one run, in turns; prints medians and the ratios.
//   node bench/compare-hot-paths.mjs --before OTHER_CHECKOUT/build [--rounds N]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./measure.mjs";

const { values } = parseArgs({ options: { before: { type: "string" }, rounds: { type: "string", default: "7" } } });
if (!values.before) throw new Error("--before: the build folder of the checkout to compare with");
const variants = {
  before: await import(pathToFileURL(join(resolve(values.before), "host/index.js")).href),
  now: await import("../dist/host/index.js"),
};
const dir = mkdtempSync(join(tmpdir(), "mmf-bench-hot-"));
const path = join(dir, "1m.bin");
writeFileSync(
  path,
  new Uint8Array(1 << 20).map((_, i) => i),
);
const READS = 1_000_000;
const MAPS = 20_000;
const offsets = new Uint32Array(READS).map((_, i) => (Math.imul(i, 2654435761) >>> 0) % ((1 << 20) - 64));

/** Nanoseconds per operation of `kind` with one variant's API. */
function run(api, kind) {
  const mmf = api.createMmf();
  const file = api.openFile(path, "r+");
  let start;
  if (kind === "map") {
    start = performance.now();
    for (let i = 0; i < MAPS; i++) mmf.newMemoryRegion(file, api.MEM_READ_ONLY, offsets[i] % 900_000, 4096).close();
    file.close();
    return ((performance.now() - start) * 1e6) / MAPS;
  }
  const region = mmf.newMemoryRegion(file, api.MEM_READWRITE);
  const p = new Uint8Array(64);
  const reader = new api.MemoryRegionReader(region);
  const writer = new api.MemoryRegionWriter(region);
  start = performance.now();
  if (kind === "readAt") for (let i = 0; i < READS; i++) reader.readAt(p, offsets[i]);
  else for (let i = 0; i < READS; i++) writer.writeAt(p, offsets[i]);
  const ns = ((performance.now() - start) * 1e6) / READS;
  region.close();
  file.close();
  return ns;
}

for (const kind of ["readAt", "writeAt", "map"]) {
  const times = { before: [], now: [] };
  for (let round = 0; round < Number(values.rounds); round++) for (const [name, api] of Object.entries(variants)) times[name].push(run(api, kind));
  const [b, n] = [median(times.before), median(times.now)];
  const label = kind === "map" ? "map + close of 4 KiB" : `64-byte ${kind} from JavaScript`;
  console.log(`${label.padEnd(32)} before ${b.toFixed(1)} ns, now ${n.toFixed(1)} ns, now/before ${(n / b).toFixed(3)}`);
}
rmSync(dir, { recursive: true, force: true });
