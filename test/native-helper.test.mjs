// @ts-check
// The native helper at its boundary (issue 9, items 7 and 8, the C parts): descriptors, flags and
// the watch word's address are read without 32-bit wrap-around (2^32 + n is not descriptor n; a
// watch word at or above 2 GiB works), and the guard entries of a worker's environment go when the
// worker ends.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { fstatSync, openSync, truncateSync } from "node:fs";
import { constants } from "node:os";
import { Worker } from "node:worker_threads";
import { createMmf, openFile, AdviceCodes, ErrorCodes, MEM_READ_ONLY } from "../dist/host/index.js";
import { backend, rawGuest, realMappingTest, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("native-helper");
const track = tracked(test);

const dir = tempDir();
const PAGE = 4096;
const { EBADF, EINVAL } = constants.errno;
const path = writeFile(dir, "data.bin", new Uint8Array(8 * PAGE).fill(7));
const native = backend === "native" ? (await import("../dist/host/native.js")).nativeHelper() : /** @type {never} */ (undefined); // used by native-only tests

realMappingTest(test, "a descriptor of 2^32 + n is EBADF, never descriptor n; flags and advice do not wrap either", () => {
  const fd = track.fd(openSync(path, "r"));
  const dirfd = native.openDirectory(dir);
  const memory = new WebAssembly.Memory({ initial: 2 });
  const view = new Uint8Array(memory.buffer);
  try {
    for (const bad of [2 ** 32 + fd, 2 ** 31 + fd, -(2 ** 32) + fd, fd + 0.5, NaN, Infinity, BigInt(fd), String(fd)]) {
      // @ts-expect-error: not a descriptor, on purpose (from here on)
      assert.is(native.fileInfo(bad), -EBADF, `fileInfo(${String(bad)})`);
      // @ts-expect-error
      assert.is(native.map(view, 0, PAGE, bad, 0, 0, -1), -EBADF, `map(fd=${String(bad)})`);
      // @ts-expect-error
      assert.is(native.nextData(bad, 0), -EBADF, `nextData(${String(bad)})`);
      // @ts-expect-error
      assert.is(native.closeFd(bad), -EBADF, `closeFd(${String(bad)})`);
      // @ts-expect-error
      assert.is(native.openBeneath(typeof bad === "number" ? bad - fd + dirfd : bad, "data.bin", 0), -EBADF, `openBeneath(dirfd=${String(bad)})`);
    }
    assert.ok(fstatSync(fd).isFile(), "the real descriptor was never closed");
    assert.is(native.map(view, 0, PAGE, fd, 0, 2 ** 32 + 1, -1), -EINVAL, "flags 2^32 + 1 are not 1");
    assert.is(native.map(view, 0, PAGE, fd, 0, 0, 2 ** 32), -EINVAL, "a watch word past the memory");
    assert.is(native.openBeneath(dirfd, "data.bin", 2 ** 32), -EINVAL, "mode 2^32 is not 0");
    assert.is(native.map(view, 0, PAGE, fd, 0, 0, -1), 0);
    assert.is(native.advise(view, 0, PAGE, 2 ** 32 + AdviceCodes.RANDOM), -EINVAL, "advice 2^32 + 1 is not 1");
    assert.is(native.advise(view, 0, PAGE, AdviceCodes.RANDOM), 0);
    assert.is(native.unmap(view, 0, PAGE), 0);
  } finally {
    track.close(fd);
    native.closeFd(dirfd);
  }
});

const nativeOnly = (name, fn) => {
  if (backend === "native") return test(name, fn);
  console.log(`  skipped on the emulated backend (no native helper): ${name}`);
  return test.skip(name, fn);
};

nativeOnly("the JavaScript API maps nothing for a Mappable whose fd() is 2^32 + n", () => {
  const file = openFile(path);
  const mmf = createMmf();
  throwsCode(() => mmf.newMemoryRegion({ fd: () => 2 ** 32 + file.fd() }, MEM_READ_ONLY), "EBADF");
  assert.is(mmf.stats().regions, 0);
  file.close();
});

realMappingTest(test, "a watch word at or above 2 GiB is bumped by a fault", async () => {
  const { host, g } = await rawGuest();
  track(host);
  const file = track.path(writeFile(dir, "high.bin", new Uint8Array(8 * PAGE).fill(7)));
  const handle = host.grant(file, "r");
  assert.ok(g.growTo(32768 + 32) > 32768, "the memory reaches past 2 GiB");
  const word = 2 ** 31 + 64;
  const at = 2 ** 31 + 65536;
  assert.is(g.watchAt(word), 0);
  assert.is(g.mapAt(handle, at, 8 * PAGE), 0);
  assert.is(g.loadU8(at + 5 * PAGE), 7);
  truncateSync(file, PAGE);
  assert.is(g.loadU8(at + 5 * PAGE), 0, "the load past the new end reads zero");
  assert.is(g.loadI32(word), 1, "the epoch word at 2 GiB + 64 moved");
  assert.is(g.faultCauseAt(at, 8 * PAGE), ErrorCodes.ETRUNCATED);
  assert.is(g.unmapAt(at, 8 * PAGE), 0);
  host.close();
});

realMappingTest(test, "a worker that ends with regions still mapped leaves no guard entries (nor their descriptors) behind", async () => {
  const main = track(createMmf());
  const mainFile = track(openFile(writeFile(dir, "main.bin", new Uint8Array(8 * PAGE).fill(7))));
  const mainRegion = track(main.newMemoryRegion(mainFile, MEM_READ_ONLY));
  const mainView = mainRegion.data();
  const before = native.guardStats();
  const module = new URL("../dist/host/index.js", import.meta.url).href;
  const counts = [];
  for (let round = 0; round < 3; round++) {
    const live = await new Promise((resolve, reject) => {
      const w = new Worker(
        `
        const { parentPort, workerData } = require("node:worker_threads");
        import(workerData.module).then(async ({ createMmf, openFile, MEM_READ_ONLY }) => {
          const { nativeHelper } = await import(workerData.native);
          const mmf = createMmf();
          const held = [];
          for (let i = 0; i < 50; i++) {
            const file = openFile(workerData.dir + "/worker-" + (i % 5) + ".bin", "w+");
            require("node:fs").ftruncateSync(file.fd(), 4096);
            held.push(mmf.newMemoryRegion(file, MEM_READ_ONLY));
            file.close();
          }
          parentPort.postMessage(nativeHelper().guardStats().live);
          globalThis.keep = held; // ends with all 50 mapped
        });`,
        { eval: true, workerData: { module, native: new URL("../dist/host/native.js", import.meta.url).href, dir } },
      );
      let live;
      w.once("message", (n) => (live = n));
      w.once("error", reject);
      w.once("exit", () => resolve(live));
    });
    counts.push(live);
  }
  const after = native.guardStats();
  console.log(
    `  3 workers held ${counts.map((n) => n - before.live).join(", ")} mappings when they ended; guard entries ${before.live} before, ${after.live} after; descriptors held ${before.files} before, ${after.files} after`,
  );
  assert.equal(
    counts.map((n) => n - before.live),
    [50, 50, 50],
  );
  assert.is(after.live, before.live, "the workers' entries were dropped");
  assert.is(after.files, before.files, "and their descriptors closed");
  truncateSync(mainFile.path, PAGE);
  assert.is(mainView[5 * PAGE], 0, "the main thread's region is still guarded");
  throwsCode(() => mainRegion.close(), "ETRUNCATED");
  mainFile.close();
});

test.run();
