// The speed floors (issue 14): what this project's hot paths cost against what they wrap, measured
// in turns in one process, so that every ratio compares figures of one machine at one time:
//   - map + touch + close of a 4 KiB and of a 1 GiB region, from JavaScript (newMemoryRegion,
//     data()[0], close()) and from Wasm (the AssemblyScript library), against C's mmap + touch +
//     restore into a reserved range (bench/map-cycle-floor.c, compiled here with cc);
//   - a random 64-byte readAt from Wasm against the raw Wasm loads it wraps (memory.copy of the
//     same 64 bytes), in a 1 GiB region (memory-bound) and in a 1 MiB one (in the caches).
// npm run bench runs these first (and only these with --quick). Standalone, or this build against
// another checkout (built, with this bench/ folder copied in), in alternating processes:
//   node bench/floors.mjs [--quick] [--rounds N] [--against OTHER_CHECKOUT [--turns N]] [--json]
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { randomFillSync } from "node:crypto";
import { createMmf, openFile, MEM_READ_ONLY } from "../dist/host/index.js";
import { mmfGuest } from "./setups.mjs";
import { interleavedMedians, median } from "./measure.mjs";

const KiB = 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** Largest ratio to its floor each measure may reach (issue 14, item 6). */
export const FLOOR_TARGET = 1.5;

/** A file of `size` bytes whose first `filled` bytes are random (the rest a hole). */
function makeFile(path, size, filled) {
  const fd = openSync(path, "w");
  ftruncateSync(fd, size);
  const chunk = randomFillSync(new Uint8Array(Math.min(filled, 64 * MiB)));
  for (let at = 0; at < filled; at += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, filled - at), at);
  closeSync(fd);
}

/**
 * Measures the floors and returns { rows, targets }: rows of { name, value, unit } and targets of
 * { name, ratio, target, floor } (ratio = measured / floor, met when ratio <= target).
 * `bigFile`: a file of at least 1 GiB to use (else a sparse one is made in `dir`).
 */
export async function measureFloors({ dir, quick = false, rounds = quick ? 5 : 9, bigFile } = {}) {
  const cc = join(dir, "map-cycle-floor");
  execFileSync("cc", ["-O2", "-o", cc, fileURLToPath(new URL("map-cycle-floor.c", import.meta.url))]);
  const small = join(dir, "floor-1m.bin");
  makeFile(small, MiB, MiB);
  const big = bigFile ?? join(dir, "floor-1g.bin");
  if (!bigFile) makeFile(big, GiB, 2 * MiB);

  const mmf = createMmf({ backend: "native" });
  const files = { [4 * KiB]: openFile(small, "r"), [GiB]: openFile(big, "r") };
  const guests = { [4 * KiB]: await mmfGuest(small, "native"), [GiB]: await mmfGuest(big, "native") };
  let sink = 0;
  const rows = [];
  const targets = [];
  const row = (name, value, unit) => rows.push({ name, value, unit });

  // 1. Map cycles: µs per cycle.
  for (const size of [4 * KiB, GiB]) {
    const cycles = size === GiB ? (quick ? 300 : 1000) : quick ? 1000 : 3000;
    const label = size === GiB ? "1 GiB" : "4 KiB";
    const file = files[size];
    const guest = guests[size];
    const variants = {
      c: {
        fn: () => Number(execFileSync(cc, [size === GiB ? big : small, String(size), String(cycles)], { encoding: "utf8" }).split(" ")[0]) / 1000,
        selfTimed: true,
      },
      js: {
        fn: () => {
          for (let i = 0; i < cycles; i++) {
            const region = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, size);
            sink += region.data()[0];
            region.close();
          }
        },
      },
      wasm: {
        fn: () => {
          const sum = guest.exports.mapCycles(guest.handle, BigInt(size), cycles);
          if (sum < 0n) throw new Error(`map cycles from Wasm failed: ${sum}`);
        },
      },
    };
    for (const v of Object.values(variants)) v.fn(); // warm up: JIT, page cache, the memory grown
    const m = await interleavedMedians(rounds, variants);
    const perCycle = { c: m.c, js: (m.js * 1000) / cycles, wasm: (m.wasm * 1000) / cycles };
    row(`map + touch + close ${label}: C mmap + touch + restore (floor)`, perCycle.c, "us");
    row(`map + touch + close ${label}: JavaScript API`, perCycle.js, "us");
    row(`map + touch + close ${label}: Wasm (AssemblyScript library)`, perCycle.wasm, "us");
    targets.push({ name: `map cycle ${label}, JavaScript API / C`, ratio: perCycle.js / perCycle.c, target: FLOOR_TARGET, floor: "C" });
    targets.push({ name: `map cycle ${label}, Wasm / C`, ratio: perCycle.wasm / perCycle.c, target: FLOOR_TARGET, floor: "C" });
  }
  for (const f of Object.values(files)) f.close();
  mmf.close();

  // 2. Random 64-byte reads from Wasm: readAt against the raw loads, ns per read.
  for (const [size, guest, label] of [
    [GiB, guests[GiB], "1 GiB region"],
    [MiB, guests[4 * KiB], "1 MiB region"],
  ]) {
    const reads = quick ? 300_000 : 1_000_000;
    const addr = guest.map(size);
    const variants = {
      loads: { fn: () => guest.exports.randomLoads(addr, size, reads, 12345) },
      readAt: { fn: () => guest.exports.randomReadAts(size, reads, 12345) },
    };
    for (const v of Object.values(variants)) v.fn(); // warm up: every page faulted in, JIT
    const m = await interleavedMedians(rounds, variants);
    const ns = { loads: (m.loads * 1e6) / reads, readAt: (m.readAt * 1e6) / reads };
    guest.unmap();
    row(`random 64 B reads, ${label}: raw Wasm loads (floor)`, ns.loads, "ns");
    row(`random 64 B reads, ${label}: readAt from Wasm`, ns.readAt, "ns");
    targets.push({ name: `readAt from Wasm, ${label} / raw loads`, ratio: ns.readAt / ns.loads, target: FLOOR_TARGET, floor: "raw loads" });
  }
  for (const g of Object.values(guests)) g.dispose();
  if (sink < 0) throw new Error("unreachable"); // keeps the touches
  return { rows, targets };
}

/** Runs `script --json` of each checkout in alternating processes; medians of their figures. */
function compareCheckouts(roots, args, turns) {
  const runs = Object.fromEntries(Object.keys(roots).map((k) => [k, []]));
  for (let turn = 0; turn < turns; turn++) {
    for (const [name, root] of Object.entries(roots)) {
      const child = spawnSync(process.execPath, [join(root, "bench/floors.mjs"), "--json", ...args], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`${name} (${root}): ${child.stderr}`);
      runs[name].push(JSON.parse(child.stdout));
    }
  }
  const figures = (name, pick) => runs[name][0][pick].map((_, i) => median(runs[name].map((r) => r[pick][i][pick === "rows" ? "value" : "ratio"])));
  const rowsNow = figures("this", "rows");
  const rowsBefore = figures("against", "rows");
  const ratiosNow = figures("this", "targets");
  const ratiosBefore = figures("against", "targets");
  const width = Math.max(...runs.this[0].rows.map((r) => r.name.length));
  console.log(`medians of ${turns} processes each: against (${roots.against}) -> this`);
  runs.this[0].rows.forEach((r, i) => {
    console.log(`  ${r.name.padEnd(width)}  ${rowsBefore[i].toFixed(1).padStart(8)} -> ${rowsNow[i].toFixed(1).padStart(8)} ${r.unit}`);
  });
  runs.this[0].targets.forEach((t, i) => {
    console.log(`  ${t.name.padEnd(width)}  ${ratiosBefore[i].toFixed(2).padStart(7)}x -> ${ratiosNow[i].toFixed(2).padStart(6)}x (target <= ${t.target}x)`);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      against: { type: "string" },
      turns: { type: "string", default: "3" },
      json: { type: "boolean", default: false },
    },
  });
  const pass = [...(values.quick ? ["--quick"] : []), ...(values.rounds ? ["--rounds", values.rounds] : [])];
  if (values.against) {
    const here = fileURLToPath(new URL("..", import.meta.url));
    compareCheckouts({ this: here, against: resolve(values.against) }, pass, Number(values.turns));
  } else {
    const dir = mkdtempSync(join(tmpdir(), "mmf-floors-"));
    try {
      const result = await measureFloors({ dir, quick: values.quick, rounds: values.rounds ? Number(values.rounds) : undefined });
      if (values.json) console.log(JSON.stringify(result));
      else {
        for (const r of result.rows) console.log(`  ${r.name.padEnd(62)} ${r.value.toFixed(1).padStart(9)} ${r.unit}`);
        for (const t of result.targets)
          console.log(`  ${t.ratio <= t.target ? "met   " : "MISSED"}  ${t.name}: ${t.ratio.toFixed(2)}x (target <= ${t.target}x)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
