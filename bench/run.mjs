// npm run bench: this project against its floors (what C, or raw Wasm loads, pay for the same
// work, bench/floors.mjs) and against the alternatives, side by side on the same warm file, in one
// run (these machines are shared and noisy, so only ratios from one run are compared). Prints a
// table and the targets, writes bench/results.json and bench/chart.svg.
//   node bench/run.mjs [--quick] [--size MiB] [--runs N] [--reads N]
// --quick: the floors only, fewer rounds (under 30 s), for a first look.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, fsyncSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { randomFillSync } from "node:crypto";
import { createMmf, openFile, MemoryRegionReader, MemoryRegionWriter, MEM_READ_ONLY, MEM_READWRITE } from "../dist/host/index.js";
import { copyInGuest, lineCountGuest, mmfGuest, wasiGuest } from "./setups.mjs";
import { wasmtimeLibraryBuilt, wasmtimePython } from "../test/wasmtime-python.mjs";
import { interleavedMedians, medianMs } from "./measure.mjs";
import { printTable, printTargets, writeOutputs } from "./report.mjs";
import { measureFloors } from "./floors.mjs";
import { rerunWithWasiGuard } from "../scripts/wasi-guard.mjs";

// The WASI comparison runs node:wasi, which needs a guard flag on Node < 24.
rerunWithWasiGuard();

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    size: { type: "string", default: "1024" },
    runs: { type: "string", default: "5" },
    reads: { type: "string", default: "1000000" },
  },
});
const QUICK = values.quick;
const MiB = 2 ** 20;
const SIZE = Number(values.size) * MiB;
const SMALL = Math.min(256 * MiB, SIZE);
const RUNS = Number(values.runs);
const READS = Number(values.reads);
const dir = mkdtempSync(join(tmpdir(), "mmf-bench-"));
const rows = [];
const row = (name, value, unit = "ms") => {
  rows.push({ name, value, unit });
  return value;
};

function makeFile(path, size) {
  const fd = openSync(path, "w");
  const chunk = randomFillSync(new Uint8Array(64 * MiB));
  for (let at = 0; at < size; at += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
  closeSync(fd);
}

function warm(path, size) {
  const fd = openSync(path, "r");
  const buf = new Uint8Array(16 * MiB);
  for (let at = 0; at < size; at += buf.length) readSync(fd, buf, 0, buf.length, at);
  closeSync(fd);
}

try {
  const file = join(dir, "data.bin");
  if (!QUICK) {
    makeFile(file, SIZE);
    warm(file, SIZE);
  }
  console.log(
    QUICK
      ? "wasm-mmf benchmark, quick: the floors only\n"
      : `wasm-mmf benchmark: ${SIZE / MiB} MiB warm file, medians of ${RUNS} runs, ${READS} random reads\n`,
  );

  // 0. The floors: map cycles against C, readAt against raw loads (bench/floors.mjs).
  const floors = await measureFloors({ dir, quick: QUICK, bigFile: !QUICK && SIZE >= 1024 * MiB ? file : undefined });
  rows.push(...floors.rows);
  const targets = [...floors.targets];
  if (!QUICK) targets.push(...(await againstAlternatives(file)));
  printTable(rows);
  printTargets(targets);
  const results = {
    date: new Date().toISOString(),
    command: QUICK ? "node bench/run.mjs --quick" : `node bench/run.mjs --size ${SIZE / MiB} --runs ${RUNS} --reads ${READS}`,
    machine: { cpu: cpus()[0].model, cores: cpus().length, memory: totalmem(), kernel: release(), node: process.version },
    fileMiB: QUICK ? undefined : SIZE / MiB,
    rows,
    targets,
  };
  writeOutputs(new URL("./", import.meta.url), results);
  console.log("\nwrote bench/results.json and bench/chart.svg");
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The alternatives (copy-in, WASI, the emulated backend, C's own mmap, pread): rows, and their targets. */
async function againstAlternatives(file) {
  // The Wasmtime host (host/wasmtime/), when its Python and library are there: one measurement per
  // process (bench/wasmtime_host.py times itself), in turn with the Node variants, as the C scan.
  const python = wasmtimePython();
  const wasmtimeSkip = python.skip ?? (wasmtimeLibraryBuilt() ? undefined : "dist/wasmtime/libmmf_wasmtime.so is missing (npm run build:wasmtime)");
  if (wasmtimeSkip) console.log(`Wasmtime host: not measured: ${wasmtimeSkip}\n`);
  const wasmtimeHost = (measure, amount) => ({
    fn: () =>
      Number(execFileSync(python.python, [fileURLToPath(new URL("wasmtime_host.py", import.meta.url)), measure, file, String(amount)], { encoding: "utf8" })),
    selfTimed: true,
  });
  const withWasmtime = (variants) => (wasmtimeSkip ? {} : variants);

  const native = await mmfGuest(file, "native");
  const emulated = await mmfGuest(file, "emulated");
  const wasi = await wasiGuest(file);
  const last = SIZE - 1;

  // 1. Ready to use: until a Wasm function has read byte N.
  const ready = {};
  for (const [name, guest] of [
    ["native", native],
    ["emulated", emulated],
    ["wasi", wasi],
  ]) {
    ready[name] = row(`ready to use: ${name}`, await medianMs(RUNS, () => guest.exports.readByte(guest.map(SIZE) + last), { teardown: () => guest.unmap() }));
  }
  if (!wasmtimeSkip) ready.wasmtime = row("ready to use: Wasmtime host", (await interleavedMedians(RUNS, { w: wasmtimeHost("ready", SIZE) })).w);
  ready.copyIn = row(
    "ready to use: copy-in (fs.readSync)",
    await medianMs(RUNS, (g) => g.exports.readByte(g.map(SIZE) + last), {
      setup: () => copyInGuest(file),
      teardown: (g) => g.dispose(),
    }),
  );

  // 2. Full scan: map (or read) + sum of u64 words + close, and a C program over its own mmap.
  const cc = join(dir, "scan");
  execFileSync("cc", ["-O2", "-o", cc, fileURLToPath(new URL("scan.c", import.meta.url))]);
  const scan = {};
  const cOnce =
    (bytes, ...extra) =>
    () =>
      Number(execFileSync(cc, [file, String(bytes), "1", ...extra], { encoding: "utf8" }).split(" ")[0]) / 1e6;
  for (const bytes of [SMALL, SIZE]) {
    const label = `${bytes / MiB} MiB`;
    const wasmScan = (guest, fn, populate = false) => ({
      setup: () => guest.exports.setMapOptions?.(populate, -1),
      fn: () => guest.exports[fn](guest.map(bytes), bytes),
      teardown: () => guest.unmap(),
    });
    // The C program times itself (mmap + scan + munmap); its process start is not counted.
    const m = await interleavedMedians(RUNS, {
      c: { fn: cOnce(bytes), selfTimed: true },
      cPopulate: { fn: cOnce(bytes, "populate"), selfTimed: true },
      native: wasmScan(native, "sumU64"),
      nativePopulate: wasmScan(native, "sumU64", true),
      nativeSimd: wasmScan(native, "sumV128"),
      nativeSimdPopulate: wasmScan(native, "sumV128", true),
      emulated: wasmScan(emulated, "sumU64"),
      wasi: wasmScan(wasi, "sumU64"),
      ...withWasmtime({ wasmtime: wasmtimeHost("sumU64", bytes), wasmtimeSimd: wasmtimeHost("sumV128", bytes) }),
    });
    native.exports.setMapOptions(false, -1);
    scan[bytes] = m;
    row(`full scan ${label}: C, own mmap`, m.c);
    row(`full scan ${label}: C, own mmap + MAP_POPULATE`, m.cPopulate);
    row(`full scan ${label}: native`, m.native);
    row(`full scan ${label}: native, populate`, m.nativePopulate);
    row(`full scan ${label}: native, v128`, m.nativeSimd);
    row(`full scan ${label}: native, v128, populate`, m.nativeSimdPopulate);
    if (!wasmtimeSkip) {
      row(`full scan ${label}: Wasmtime host`, m.wasmtime);
      row(`full scan ${label}: Wasmtime host, v128`, m.wasmtimeSimd);
    }
    row(`full scan ${label}: emulated`, m.emulated);
    row(`full scan ${label}: wasi fd_pread`, m.wasi);
    scan[bytes].copyIn = row(
      `full scan ${label}: copy-in`,
      await medianMs(RUNS, (g) => g.exports.sumU64(g.map(bytes), bytes), { setup: () => copyInGuest(file), teardown: (g) => g.dispose() }),
    );
  }

  // Line count: the line-count example's guest (open, map 256 MiB windows, count with v128) on each host.
  const lineCounter = await lineCountGuest(file);
  lineCounter.count(256); // grows the guest's memory, as the Wasmtime run's untimed first count does
  const lines = await interleavedMedians(RUNS, {
    node: { fn: () => lineCounter.count(256) },
    ...withWasmtime({ wasmtime: wasmtimeHost("lines", 256) }),
  });
  lineCounter.dispose();
  row(`line count ${SIZE / MiB} MiB: Node host`, lines.node);
  if (!wasmtimeSkip) row(`line count ${SIZE / MiB} MiB: Wasmtime host`, lines.wasmtime);

  // 3. Random reads of 64 bytes.
  const addr = native.map(SIZE);
  const mmf = createMmf({ backend: "native" });
  const mapped = openFile(file, "r+");
  const region = mmf.newMemoryRegion(mapped, MEM_READ_ONLY, 0, SIZE);
  const reader = new MemoryRegionReader(region);
  const p = new Uint8Array(64);
  const randomOffsets = (fn) => {
    let x = 12345;
    const span = SIZE - 64;
    for (let i = 0; i < READS; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      fn(x % span);
    }
  };
  const fd = openSync(file, "r");
  const random = await interleavedMedians(RUNS, {
    loads: { fn: () => native.exports.randomLoads(addr, SIZE, READS, 12345) },
    readAtWasm: { fn: () => native.exports.randomReadAts(SIZE, READS, 12345) },
    readAtJs: { fn: () => randomOffsets((off) => reader.readAt(p, off)) },
    pread: { fn: () => randomOffsets((off) => readSync(fd, p, 0, 64, off)) },
  });
  closeSync(fd);
  row(`${READS} random 64 B reads: Wasm loads, native`, random.loads);
  row(`${READS} random 64 B reads: readAt from Wasm`, random.readAtWasm);
  row(`${READS} random 64 B reads: readAt from JavaScript`, random.readAtJs);
  row(`${READS} random 64 B reads: pread (fs.readSync) each`, random.pread);
  native.unmap();
  region.close();

  // 4. Small-operation cost: 64 B readAt/writeAt within a 1 MiB region, per call.
  const scratch = join(dir, "scratch.bin");
  makeFile(scratch, MiB);
  const small = await mmfGuest(scratch, "native");
  small.map(MiB, true);
  const ops = 1_000_000;
  const perOp = (ms) => (ms * 1e6) / ops;
  const op = {};
  op.readAtWasm = row("readAt 64 B from Wasm, per call", perOp(await medianMs(RUNS, () => small.exports.randomReadAts(MiB, ops, 7))), "ns");
  op.writeAtWasm = row("writeAt 64 B from Wasm, per call", perOp(await medianMs(RUNS, () => small.exports.randomWriteAts(MiB, ops, 7))), "ns");
  small.unmap();
  small.dispose();
  const sf = openFile(scratch, "r+");
  const sr = mmf.newMemoryRegion(sf, MEM_READWRITE, 0, MiB);
  const jr = new MemoryRegionReader(sr);
  const jw = new MemoryRegionWriter(sr);
  const loop = (fn) => {
    let x = 7;
    for (let i = 0; i < ops; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      fn(x % (MiB - 64));
    }
  };
  op.readAtJs = row("readAt 64 B from JavaScript, per call", perOp(await medianMs(RUNS, () => loop((o) => jr.readAt(p, o)))), "ns");
  op.writeAtJs = row("writeAt 64 B from JavaScript, per call", perOp(await medianMs(RUNS, () => loop((o) => jw.writeAt(p, o)))), "ns");
  sr.close();
  sf.close();

  // 5. Write 256 MiB and make it durable: a MEM_READWRITE region + flush(false), vs writeSync + fsync.
  const W = SMALL;
  const payload = randomFillSync(new Uint8Array(W));
  let n = 0;
  const write = {};
  write.region = row(
    `write ${W / MiB} MiB: region + flush(false)`,
    await medianMs(
      RUNS,
      (g) => {
        const a = g.map(W, true);
        g.exports.fill(a, W, 1n);
        if (g.exports.flushRegion() !== 0) throw new Error("flush failed");
      },
      {
        setup: async () => {
          const path = join(dir, `w${n++}.bin`);
          const wfd = openSync(path, "w");
          ftruncateSync(wfd, W);
          closeSync(wfd);
          return mmfGuest(path, "native");
        },
        teardown: (g) => {
          g.unmap();
          g.dispose();
        },
      },
    ),
  );
  write.fs = row(
    `write ${W / MiB} MiB: fs.writeSync + fsync`,
    await medianMs(
      RUNS,
      (wfd) => {
        for (let at = 0; at < W; ) at += writeSync(wfd, payload, at, W - at, at);
        fsyncSync(wfd);
      },
      { setup: () => openSync(join(dir, `f${n++}.bin`), "w"), teardown: (wfd) => closeSync(wfd) },
    ),
  );

  // 6. Memory: four workers mapping the same file and scanning it, vs four that copy it in.
  const memory = {};
  for (const how of ["map", "copy"]) {
    const child = spawnSync(process.execPath, [fileURLToPath(new URL("memory-workers.mjs", import.meta.url)), file, String(SIZE), how], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`memory-workers ${how}: ${child.stderr}`);
    const m = (memory[how] = JSON.parse(child.stdout));
    row(`4 workers ${how === "map" ? "mapping" : "copying in"} ${SIZE / MiB} MiB: RSS growth`, m.rss, "bytes");
    row(`4 workers ${how === "map" ? "mapping" : "copying in"} ${SIZE / MiB} MiB: Pss growth`, m.pss, "bytes");
    row(`4 workers ${how === "map" ? "mapping" : "copying in"} ${SIZE / MiB} MiB: AnonPages growth`, m.anon, "bytes");
  }
  for (const g of [native, emulated, wasi]) g.dispose();
  mapped.close();

  // Each a time (or size) against its reference, met at or below the target. Random reads are held
  // to raw loads in the floors: ratios to pread swing with each machine's pread speed.
  return [
    { name: `ready to use, ${SIZE / MiB} MiB: native / copy-in`, ratio: ready.native / ready.copyIn, target: 1 / 10_000, floor: "copy-in" },
    { name: `full scan ${SIZE / MiB} MiB: native (populate) / C mmap`, ratio: scan[SIZE].nativePopulate / scan[SIZE].c, target: 1 / 0.9, floor: "C" },
    { name: `full scan ${SIZE / MiB} MiB: native v128 (populate) / C mmap`, ratio: scan[SIZE].nativeSimdPopulate / scan[SIZE].c, target: 1 / 1.2, floor: "C" },
    { name: "4 workers mapping: AnonPages growth / 64 MiB", ratio: memory.map.anon / (64 * MiB), target: 1, floor: "64 MiB" },
    { name: "4 workers copying in: 64 MiB / AnonPages growth", ratio: (64 * MiB) / Math.max(memory.copy.anon, 1), target: 1, floor: "64 MiB" },
  ];
}
