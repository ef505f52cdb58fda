// @ts-check
// Limits are errors, never aborts (issue 9, item 6). Every mapping is an area of the process, and at
// vm.max_map_count the next allocation anywhere (V8's included) aborts the process. A budget of
// live mappings per guest (MmfHost maxMappings, default 4096; createMmf maxMappings) and per process
// (a quarter of vm.max_map_count; MMF_PROCESS_MAPPINGS) answers ENOMEM first, naming the limit,
// and the host keeps working. MMF_RELIABILITY=1 fills the default budgets themselves.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createMmf, openFile, ErrorCodes, MmfHost, MEM_READ_ONLY } from "../dist/host/index.js";
import { nativeHelper } from "../dist/host/native.js";
import { areasOverlapping, backend, rawGuest, root, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("limits");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const PAGE = 4096;
const file = writeFile(dir, "page.bin", new Uint8Array(PAGE).fill(5));
const areas = () => readFileSync("/proc/self/maps", "utf8").split("\n").length - 1;
/** The areas over a Wasm memory's 4 GiB (native backend): those its mappings split. */
function memoryAreas(memory) {
  const lo = BigInt(nativeHelper().memoryBase(new Uint8Array(memory.buffer)));
  return areasOverlapping(lo, lo + 2n ** 32n);
}
const guardStats = async () => (backend === "native" ? (await import("../dist/host/native.js")).nativeHelper().guardStats() : undefined);

test(`a guest mapping one page at every other page until refused: ENOMEM at its budget (${LONG ? "then the process's" : "4096, the default"}), and the host keeps working`, async () => {
  const { host, g } = await rawGuest(LONG ? { maxMappings: Infinity } : {});
  const handle = host.grant(file, "r");
  const before = areas();
  const memoryBefore = backend === "native" ? memoryAreas(g.memory) : 0;
  const stats = await guardStats();
  const budget = LONG && stats ? stats.limit - stats.live : 4096;
  const mapped = g.mapEveryOtherPage(handle, budget + 100);
  const atLimit = areas();
  assert.is(g.lastRefusal(), -ErrorCodes.ENOMEM, `refused with ENOMEM after ${mapped}`);
  assert.is(mapped, budget);
  assert.is(host.mappingCount, budget);
  assert.is(g.remap(handle, 17), 0, "unmapping one makes room for one");
  assert.is(g.loadU8(g.mappedAt(17)), 5, "the page mapped again shows the file");
  assert.is(g.unmapAll(), 0);
  assert.is(host.mappingCount, 0);
  const afterUnmap = areas();
  // Only the native backend maps.
  if (backend === "native") {
    const memoryAfter = memoryAreas(g.memory);
    assert.ok(
      memoryAfter - memoryBefore < 16,
      `unmapped ranges merge back into the memory's area: ${memoryBefore} areas over the memory before, ${memoryAfter} after`,
    );
  }
  assert.is(g.mapEveryOtherPage(handle, 10), 10, "maps again after");
  assert.is(g.unmapAll(), 0);
  host.close();
  const big = new Array(1e6).fill(0).map((_, i) => ({ i })); // V8 still allocates
  assert.is(big.length, 1e6);
  console.log(
    `  [${backend}] guest: ${mapped} mappings one page apart at the limit, process areas ${before} -> ${atLimit} -> ${afterUnmap} unmapped` +
      (stats ? ` (vm.max_map_count ${stats.maxMapCount}, process budget ${stats.limit})` : ""),
  );
});

test(`the JavaScript API: ${LONG ? "regions until the process's budget" : "a budget of 300 regions"} answers ENOMEM naming it; closing one makes room`, async () => {
  const stats = await guardStats();
  const mmf = LONG ? createMmf() : createMmf({ maxMappings: 300 });
  const f = track(openFile(file));
  const regions = [];
  let error;
  const before = areas();
  const memoryBefore = backend === "native" ? memoryAreas(mmf.memory) : 0;
  try {
    for (let i = 0; i < 100_000; i++) regions.push(mmf.newMemoryRegion(f, MEM_READ_ONLY, 0, 100));
  } catch (err) {
    error = err;
  }
  const atLimit = areas();
  assert.is(error?.code, "ENOMEM", String(error));
  if (LONG && stats) {
    assert.match(error.message, /the process holds \d+ live mappings, its budget/);
    assert.match(error.message, new RegExp(`vm.max_map_count is ${stats.maxMapCount}`));
  } else if (!LONG) {
    assert.is(regions.length, 300);
    assert.match(error.message, /its budget \(maxMappings 300\)/);
  }
  assert.not.match(error.message, /address space/);
  regions.pop()?.close();
  regions.push(mmf.newMemoryRegion(f, MEM_READ_ONLY, 0, 100));
  assert.is(regions.at(-1)?.data()[0], 5);
  for (const r of regions) r.close();
  assert.is(mmf.stats().regions, 0);
  f.close();
  const afterClose = areas();
  if (backend === "native") {
    const memoryAfter = memoryAreas(mmf.memory);
    assert.ok(memoryAfter - memoryBefore < 16, `closed regions' ranges merge back: ${memoryBefore} areas over the memory before, ${memoryAfter} after`);
  }
  console.log(`  [${backend}] ${regions.length} regions at the limit, process areas ${before} -> ${atLimit} -> ${afterClose} closed: ${error.message}`);
});

test("MmfHost and createMmf refuse a budget that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, NaN, "10"]) {
    // @ts-expect-error: "10" is no number, on purpose
    throwsCode(() => new MmfHost({ maxMappings: bad }), "EINVAL");
    // @ts-expect-error: "10" is no number, on purpose
    throwsCode(() => createMmf({ maxMappings: bad }), "EINVAL");
  }
});

test("the process's budget (MMF_PROCESS_MAPPINGS=500) holds across instances and guests, and names itself", () => {
  if (backend !== "native") {
    console.log("  skipped on the emulated backend (the process's budget counts real mappings): MMF_PROCESS_MAPPINGS");
    return;
  }
  const run = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `
    import { createMmf, openFile, MEM_READ_ONLY } from "${join(root, "dist/host/index.js")}";
    const f = openFile("${file}");
    const a = createMmf(), b = createMmf();
    const held = [];
    let error;
    try {
      for (let i = 0; i < 1000; i++) held.push((i % 2 ? a : b).newMemoryRegion(f, MEM_READ_ONLY));
    } catch (e) { error = e; }
    console.log(held.length + " " + error.code + " " + error.message);
    held.pop().close();
    held.push(a.newMemoryRegion(f, MEM_READ_ONLY));
    console.log("after closing one: " + held.length);`,
    ],
    { encoding: "utf8", env: { ...process.env, MMF_PROCESS_MAPPINGS: "500" } },
  );
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /^500 ENOMEM .*the process holds 500 live mappings, its budget \(.*: 500; vm.max_map_count is \d+\)/);
  assert.match(run.stdout, /after closing one: 500/);
  const bad = spawnSync(process.execPath, ["-e", `import("${join(root, "dist/host/index.js")}").then((m) => m.createMmf())`], {
    encoding: "utf8",
    env: { ...process.env, MMF_PROCESS_MAPPINGS: "lots" },
  });
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /MMF_PROCESS_MAPPINGS must be an integer/);
});

test.run();
