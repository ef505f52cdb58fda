// @ts-check
// Each advice name reaches the kernel as its own madvise advice, from the JavaScript API and from
// an AssemblyScript guest's ADVICE_* constants: the region's VmFlags in /proc/self/smaps show
// "rr" for random, "sr" for sequential, "hg" for hugepage and neither rr nor sr for normal, and
// "willneed" reads the pages of a file that was not in the page cache. (Two names swapped
// anywhere on the way, API, core module, host or helper, fail here.)
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createMmf, openFile, MEM_READ_ONLY } from "../dist/host/index.js";
import { backend, loadGuest, realMappingTest, tempDir, writeFile, tracked } from "./helpers.mjs";
import { dropCache } from "./mounts.mjs";

const test = suite("advice");
const track = tracked(test);

const dir = tempDir();
const SIZE = 8 * 2 ** 20;
const native = backend === "native" ? (await import("../dist/host/native.js")).nativeHelper() : /** @type {never} */ (undefined); // used by native-only tests
/** The VmFlags that each advice sets, and the ones it must not. */
const EXPECTED = {
  random: { set: ["rr"], clear: ["sr"] },
  sequential: { set: ["sr"], clear: ["rr"] },
  hugepage: { set: ["hg"], clear: [] },
  normal: { set: [], clear: ["rr", "sr"] },
};

/** The VmFlags of the area of this process that holds `address` (a bigint). */
function vmFlagsAt(address) {
  for (const block of readFileSync("/proc/self/smaps", "utf8").split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [start, end] = block
      .slice(0, block.indexOf(" "))
      .split("-")
      .map((hex) => BigInt(`0x${hex}`));
    if (start <= address && address < end) return new Set((block.match(/^VmFlags:(.*)$/m)?.[1] ?? "").trim().split(/\s+/));
  }
  throw new Error(`no area holds ${address.toString(16)}`);
}

/** Bytes of `path` in the page cache (fincore), or undefined without util-linux's fincore. */
function resident(path) {
  const run = spawnSync("fincore", ["--bytes", "--noheadings", "--output", "RES", path], { encoding: "utf8" });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

/** Applies each advice through `advise(name)` and checks the VmFlags of the area at `address()`. */
async function checkAdvice(advise, address, path) {
  for (const name of ["random", "sequential", "hugepage"]) {
    advise(name);
    const flags = vmFlagsAt(address());
    for (const flag of EXPECTED[name].set) assert.ok(flags.has(flag), `${name}: VmFlags ${[...flags].join(" ")} lack ${flag}`);
    for (const flag of EXPECTED[name].clear) assert.not.ok(flags.has(flag), `${name}: VmFlags ${[...flags].join(" ")} have ${flag}`);
    advise("random");
    advise("normal"); // normal undoes random (hugepage stays: normal is about read-ahead)
    const after = vmFlagsAt(address());
    for (const flag of EXPECTED.normal.clear) assert.not.ok(after.has(flag), `normal: VmFlags ${[...after].join(" ")} have ${flag}`);
  }
  if (resident(path) === undefined) {
    console.log("  fincore (util-linux) is not installed: willneed's effect not checked");
    return;
  }
  dropCache(path);
  assert.is(resident(path), 0, "the file's pages left the page cache");
  advise("willneed");
  // WILLNEED starts the reads and returns: wait for them (a second at most).
  for (let i = 0; i < 50 && (resident(path) ?? 0) < SIZE; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(resident(path), SIZE, "willneed read the region's pages in");
}

realMappingTest(test, "MemoryRegion.advise: each name sets its own madvise advice", async () => {
  const path = track.path(writeFile(dir, "js.bin", new Uint8Array(SIZE).fill(1)));
  const mmf = track(createMmf());
  const file = track(openFile(path));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  const base = BigInt(native.memoryBase(new Uint8Array(mmf.memory.buffer)));
  await checkAdvice(
    (name) => region.advise(name),
    () => base + BigInt(region.data().byteOffset),
    path,
  );
  region.close();
  file.close();
  mmf.close();
});

realMappingTest(test, "a guest's advise(ADVICE_*): each constant sets its own madvise advice", async () => {
  const path = track.path(writeFile(dir, "guest.bin", new Uint8Array(SIZE).fill(2)));
  const { call, host, exports } = track(await loadGuest("api", { preopens: { "/data": dir } }));
  const index = call("holdPath", "/data/guest.bin", "r", MEM_READ_ONLY);
  assert.ok(index >= 0, `holdPath: ${index}`);
  const address = () => BigInt(native.memoryBase(new Uint8Array(exports.memory.buffer))) + BigInt(call("heldAddress", index) >>> 0);
  await checkAdvice((name) => assert.is(call("adviseHeld", index, name), 0, name), address, path);
  assert.is(call("adviseHeld", index, "dontneed"), -1, "an advice the library does not have is EINVAL");
  call("closeHeld");
  host.close();
});

test.run();
