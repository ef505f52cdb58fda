// @ts-check
// Region operations of issue 14 (ABI version 3): lock/unlock (mlock: VmLck in /proc/self/status;
// RLIMIT_MEMLOCK's refusal in a child without CAP_IPC_LOCK), residency (mincore, against a file
// whose pages were dropped from the page cache, then touched and advised "willneed"), and remap
// (in place and moved, views taken before it, shrink, copy-on-write changes, the truncation guard
// after it, MappedFile.truncate), through the JavaScript API, the raw imports with hostile values,
// and an AssemblyScript guest. On the emulated backend every one of them is ENOTSUP.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { existsSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  createMmf,
  ErrorCodes,
  openFile,
  MmfHost,
  MemoryRegionReader,
  MEM_READ_ONLY,
  MEM_READWRITE,
  MEM_COPY_ON_WRITE,
  MEM_READ_PRIVATE,
} from "../dist/host/index.js";
import { backend, loadGuest, pattern, readBytes, tempDir, throwsCode, writeFile } from "./helpers.mjs";
import { dropCache } from "./mounts.mjs";

const dir = tempDir();
const PAGE = 4096;
const LONG = process.env.MMF_RELIABILITY === "1"; // npm run test:reliability: ten times the remaps under a reading worker
const native = backend === "native";
const { ENOTSUP } = ErrorCodes;

/** Everything a test opened, closed after it whatever happened. */
let open = [];
const keep = (resource) => {
  open.push(resource);
  return resource;
};
function cleanup() {
  for (const resource of open.reverse()) {
    try {
      resource.close();
    } catch {
      // a region that faulted on purpose throws its fault at close
    }
  }
  open = [];
}

/** A fresh instance and a file of `size` patterned bytes opened "r+". */
function setup(name, size, seed = 1) {
  const path = writeFile(dir, name, pattern(size, seed));
  return { path, mmf: keep(createMmf()), file: keep(openFile(path, "r+")) };
}

/** VmLck of this process, in KiB. */
const vmLck = () => Number(/** @type {RegExpMatchArray} */ (readFileSync("/proc/self/status", "utf8").match(/^VmLck:\s+(\d+) kB/m))[1]);

// ---- lock -------------------------------------------------------------------------------------

const lock = suite("lock");
lock.after.each(cleanup);

if (native) {
  lock("lock() locks the region's pages (VmLck grows by them), unlock() and close() unlock them", () => {
    const { mmf, file } = setup("lock.bin", 4 << 20);
    const region = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY, 100, (4 << 20) - 100));
    const before = vmLck();
    region.lock();
    assert.is(vmLck() - before, 4096, "4 MiB locked");
    region.lock(); // again: nothing more
    assert.is(vmLck() - before, 4096);
    region.unlock();
    assert.is(vmLck(), before);
    region.lock();
    region.close();
    assert.is(vmLck(), before, "close unlocks");
    console.log(`  VmLck: ${before} kB, locked 4 MiB region +4096 kB, after unlock and after close ${before} kB`);
  });

  lock("RLIMIT_MEMLOCK refuses in a process without CAP_IPC_LOCK: ENOMEM over the limit, EACCES at 0, saying the limit", () => {
    const path = writeFile(dir, "lock-child.bin", pattern(256 * 1024));
    const child = `
      import { createMmf, openFile, MEM_READ_ONLY } from ${JSON.stringify(new URL("../dist/host/index.js", import.meta.url).href)};
      const mmf = createMmf();
      const file = openFile(${JSON.stringify(path)});
      const out = {};
      for (const size of [${PAGE}, 256 * 1024]) {
        const region = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, size);
        try { region.lock(); out[size] = "locked"; } catch (err) { out[size] = { code: err.code, message: err.message }; }
        region.data(); // still usable after a refusal
        region.close();
      }
      console.log(JSON.stringify(out));`;
    const run = (memlock) => {
      const result = spawnSync(
        "setpriv",
        ["--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", "prlimit", `--memlock=${memlock}`, process.execPath, "--input-type=module", "-e", child],
        { encoding: "utf8" },
      );
      assert.is(result.status, 0, result.stderr);
      return JSON.parse(result.stdout);
    };
    const low = run(64 * 1024);
    assert.is(low[PAGE], "locked", "one page fits under 64 KiB");
    assert.is(low[256 * 1024].code, "ENOMEM");
    assert.match(low[256 * 1024].message, /RLIMIT_MEMLOCK.*soft limit is 65536 bytes/);
    const none = run(0);
    assert.is(none[PAGE].code, "EACCES");
    assert.match(none[PAGE].message, /RLIMIT_MEMLOCK.*soft limit is 0 bytes/);
  });
} else {
  lock("the emulated backend cannot lock: ENOTSUP, saying why", () => {
    const { mmf, file } = setup("lock-emu.bin", 3 * PAGE);
    const region = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY));
    assert.match(throwsCode(() => region.lock(), "ENOTSUP").message, /emulated backend cannot/);
    throwsCode(() => region.unlock(), "ENOTSUP");
  });
}

lock("a closed region: lock, unlock, residency and remap are ECLOSED", () => {
  const { mmf, file } = setup("closed.bin", 3 * PAGE);
  const region = mmf.newMemoryRegion(file, MEM_READ_ONLY);
  region.close();
  for (const op of [() => region.lock(), () => region.unlock(), () => region.residency(), () => region.remap(PAGE)]) throwsCode(op, "ECLOSED");
});

lock.run();

// ---- residency --------------------------------------------------------------------------------

const residency = suite("residency");
residency.after.each(cleanup);

if (native) {
  residency("residency() counts the pages in memory: none after the cache was dropped, the touched ones, all after willneed", async () => {
    const SIZE = 8 << 20;
    const { path, mmf, file } = setup("residency.bin", SIZE);
    dropCache(path);
    const region = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY));
    const cold = region.residency({ pages: true });
    assert.is(cold.total, SIZE / PAGE);
    assert.is(cold.pages.length, cold.total);
    assert.ok(cold.resident < cold.total / 8, `dropped: ${cold.resident} of ${cold.total} resident`);
    region.advise("random"); // no read-ahead: only the touched pages come in
    const view = region.data();
    const touched = [0, 700, 1500];
    for (const page of touched) assert.is(view[page * PAGE + 5], pattern(SIZE)[page * PAGE + 5]);
    const warm = region.residency({ pages: true });
    for (const page of touched) assert.is(warm.pages[page], 1, `page ${page} touched`);
    assert.is(
      warm.resident,
      warm.pages.reduce((a, b) => a + b, 0),
    );
    assert.ok(warm.resident < warm.total / 4, `${warm.resident} of ${warm.total} resident after touching 3 pages`);
    assert.is(region.residency().pages, undefined, "no map unless asked");
    region.advise("willneed");
    let after = region.residency();
    for (let tries = 0; after.resident < after.total && tries < 200; tries++) {
      await new Promise((r) => setTimeout(r, 10)); // willneed reads ahead asynchronously
      after = region.residency();
    }
    assert.is(after.resident, after.total, "willneed read every page");
    console.log(
      `  residency of 8 MiB: ${cold.resident}/${cold.total} after dropping the cache, ${warm.resident} after touching 3 pages, ${after.resident} after willneed`,
    );
  });
} else {
  residency("the emulated backend cannot tell residency: ENOTSUP", () => {
    const { mmf, file } = setup("res-emu.bin", 3 * PAGE);
    const region = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY));
    throwsCode(() => region.residency(), "ENOTSUP");
  });
}

residency("residency({ pages }) takes a boolean: anything else is EINVAL", () => {
  const { mmf, file } = setup("res-args.bin", 3 * PAGE);
  const region = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  for (const pages of [1, "yes", null, 1n]) throwsCode(() => region.residency({ pages }), "EINVAL");
});

residency.run();

// ---- remap ------------------------------------------------------------------------------------

const remap = suite("remap");
remap.after.each(cleanup);

if (native) {
  remap("MEM_READWRITE of a file the program grows: truncate, remap in place, writes reach the file", () => {
    const { path, mmf, file } = setup("grow.bin", 10_000);
    const region = keep(mmf.newMemoryRegion(file, MEM_READWRITE, 1000));
    const before = region.data();
    const at = before.byteOffset;
    file.truncate(100_000);
    assert.is(region.remap(100_000 - 1000), region, "returns the region");
    const after = region.data();
    assert.is(after.byteOffset, at, "grown in place: the pages after it were free");
    assert.is(after.length, 99_000);
    assert.is(before.length, 9000, "an old view keeps its length: take data() again");
    assert.equal(after.subarray(0, 9000), pattern(10_000).subarray(1000));
    assert.ok(
      after.subarray(9000).every((b) => b === 0),
      "the file's new bytes are zeros",
    );
    after[98_999] = 0xab;
    region.flush();
    assert.is(readBytes(path)[99_999], 0xab);
    assert.equal(mmf.stats(), { regions: 1, mappedBytes: 25 * PAGE, regionBytes: 99_000 });
    assert.equal(mmf.remapCounts(), { inPlace: 1, moved: 0 });
  });

  remap("blocked by another region, it moves: contents kept, old views show zeros, the blocker untouched, old pages reused", () => {
    const { mmf, file } = setup("move.bin", 5 * PAGE, 3);
    const region = keep(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 2 * PAGE));
    const blocker = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY, 4 * PAGE, PAGE));
    const reader = new MemoryRegionReader(region);
    const one = new Uint8Array(1);
    assert.is(reader.readAt(one, 5), 1); // the reader has the region's place cached now
    const old = region.data();
    assert.is(blocker.data().byteOffset, old.byteOffset + 2 * PAGE, "the blocker sits right after it");
    region.remap(5 * PAGE);
    const moved = region.data();
    assert.is.not(moved.byteOffset, old.byteOffset);
    assert.equal(moved, pattern(5 * PAGE, 3));
    assert.is(reader.readAt(one, 4 * PAGE + 7), 1, "a reader made before the move reads the grown region");
    assert.is(one[0], pattern(5 * PAGE, 3)[4 * PAGE + 7]);
    assert.ok(
      old.every((b) => b === 0),
      "a view from before the move shows zeroed memory",
    );
    assert.equal(blocker.data(), pattern(5 * PAGE, 3).subarray(4 * PAGE));
    assert.is(mmf.remapCounts().moved, 1);
    const next = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 2 * PAGE));
    assert.is(next.data().byteOffset, old.byteOffset, "the old pages are free again");
    assert.equal(old, pattern(2 * PAGE, 3), "...and an old view now shows another region's bytes");
  });

  remap("shrink frees the pages past the new end; a remap to the same pages only changes the size", () => {
    const { mmf, file } = setup("shrink.bin", 10 * PAGE);
    const region = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY));
    const at = region.data().byteOffset;
    region.remap(3 * PAGE + 1);
    assert.is(region.size(), 3 * PAGE + 1);
    assert.is(mmf.stats().mappedBytes, 4 * PAGE);
    region.remap(4 * PAGE);
    assert.is(mmf.stats().mappedBytes, 4 * PAGE);
    const next = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE));
    assert.is(next.data().byteOffset, at + 4 * PAGE, "the freed pages are reused");
    assert.equal(region.data(), pattern(10 * PAGE).subarray(0, 4 * PAGE));
    assert.is(region.data().byteOffset, at);
  });

  remap("private modes: a moved copy-on-write region keeps its changes, which never reach the file", () => {
    for (const mode of [MEM_COPY_ON_WRITE, MEM_READ_PRIVATE]) {
      const { path, mmf, file } = setup(`cow-${mode}.bin`, 4 * PAGE, 5);
      const region = keep(mmf.newMemoryRegion(file, mode, 0, PAGE));
      keep(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE)); // blocks growth in place
      if (mode === MEM_COPY_ON_WRITE) region.data().fill(0x77, 0, 100);
      region.remap(4 * PAGE);
      assert.is(mmf.remapCounts().moved, 1);
      const expected = pattern(4 * PAGE, 5);
      if (mode === MEM_COPY_ON_WRITE) expected.fill(0x77, 0, 100);
      assert.equal(region.data(), expected);
      assert.equal(readBytes(path), pattern(4 * PAGE, 5), "the file never saw them");
      cleanup();
    }
  });

  remap("the truncation guard follows a remap: a truncation after a grow and after a move is ETRUNCATED, and nothing else is watched", async () => {
    const helper = (await import("../dist/host/native.js")).nativeHelper();
    const live = helper.guardStats().live;
    const { mmf, file } = setup("guard.bin", 2 * PAGE);
    const region = keep(mmf.newMemoryRegion(file, MEM_READWRITE));
    file.truncate(6 * PAGE);
    region.remap(6 * PAGE); // in place
    keep(mmf.newMemoryRegion(keep(openFile(writeFile(dir, "other.bin", pattern(PAGE)))), MEM_READ_ONLY)); // right after it
    file.truncate(8 * PAGE);
    region.remap(8 * PAGE); // moved
    assert.is(mmf.remapCounts().moved, 1);
    assert.is(helper.guardStats().live, live + 2, "the guard watches the two regions, not the moved one's old range");
    file.truncate(PAGE);
    assert.is(region.data().length, 8 * PAGE);
    assert.is(region.data()[7 * PAGE], 0, "a page past the new end reads zero instead of killing the process");
    throwsCode(() => region.data(), "ETRUNCATED");
  });

  remap("a worker reading the whole memory while regions grow in place and move never meets a hole (no SIGSEGV)", async () => {
    const { mmf, file } = setup("race.bin", 64 * PAGE, 8);
    const region = keep(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 8 * PAGE));
    mmf.newMemoryRegion(keep(openFile(writeFile(dir, "grow.bin", new Uint8Array(256 * PAGE)))), MEM_READ_ONLY).close(); // memory for the worker's view
    const stop = new Int32Array(new SharedArrayBuffer(4));
    // Plain JavaScript loads, which V8's trap handler does not cover: a hole would end the process.
    const worker = new Worker(
      `
      const { workerData: { memory, stop, from }, parentPort } = require("node:worker_threads");
      let rounds = 0;
      parentPort.postMessage("ready");
      const view = new Uint8Array(memory.buffer, from, 64 * 4096);
      while (Atomics.load(stop, 0) === 0) {
        for (let i = 0; i < view.length; i += 4096) view[i];
        rounds++;
      }
      parentPort.postMessage(rounds);`,
      { eval: true, workerData: { memory: mmf.memory, stop, from: region.data().byteOffset } },
    );
    const messages = [];
    worker.on("message", (m) => messages.push(m));
    while (messages.length === 0) await new Promise((r) => setTimeout(r, 5));
    const expected = pattern(64 * PAGE, 8);
    const ROUNDS = LONG ? 300 : 30;
    const IN_PLACE = LONG ? 10_000 : 1000;
    try {
      for (let i = 0; i < IN_PLACE; i++) {
        const other = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE); // a map and an unmap between the remaps
        region.remap(16 * PAGE); // in place: the pages after it are free
        other.close();
        region.remap(8 * PAGE);
      }
      for (let i = 0; i < ROUNDS; i++) {
        // A one-page region right after it (first fit fills the free pages before it first), so
        // that the grow must move.
        const spares = [];
        let blocker;
        const end = region.data().byteOffset + 8 * PAGE;
        while (!blocker) {
          const next = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE);
          if (next.data().byteOffset === end) blocker = next;
          else spares.push(next);
          assert.ok(spares.length < 4096, "a page right after the region");
        }
        region.remap(16 * PAGE);
        for (const spare of spares) spare.close();
        blocker.close();
        for (let pages = 17; pages <= 32; pages++) region.remap(pages * PAGE); // in place, or moved
        region.remap(8 * PAGE);
        assert.is(region.data()[8 * PAGE - 1], expected[8 * PAGE - 1]);
      }
    } finally {
      Atomics.store(stop, 0, 1);
      await new Promise((r) => worker.once("exit", r));
    }
    const { moved: remapsMoved, inPlace: remapsInPlace } = mmf.remapCounts();
    assert.ok(remapsMoved >= ROUNDS, `${remapsMoved} moves`);
    assert.ok(remapsInPlace >= 2 * IN_PLACE, `${remapsInPlace} in place`);
    console.log(`  ${ROUNDS} rounds under a reading worker (${messages[1]} passes over the memory): ${remapsInPlace} remaps in place, ${remapsMoved} moved`);
  });

  remap("remap refuses what it cannot do, and leaves the region as it was", () => {
    const { mmf, file } = setup("refuse.bin", 3 * PAGE + 10);
    const region = keep(mmf.newMemoryRegion(file, MEM_READWRITE, 10));
    const view = region.data();
    throwsCode(() => region.remap(3 * PAGE + 1), "ERANGE"); // one byte past the end
    throwsCode(() => region.remap(2 ** 32 + 5), "ERANGE");
    for (const bad of [0, -1, 1.5, NaN, Infinity, "4096", null]) throwsCode(() => region.remap(bad), "EINVAL");
    region.remap(3n * BigInt(PAGE)); // a bigint is a size too
    assert.is(region.size(), 3 * PAGE);
    const empty = keep(mmf.newMemoryRegion(file, MEM_READ_ONLY, 3 * PAGE + 10, 0));
    throwsCode(() => empty.remap(PAGE), "EINVAL");
    file.close();
    assert.match(throwsCode(() => region.remap(PAGE), "EBADF").message, /closed/);
    assert.equal(region.data(), pattern(3 * PAGE + 10).subarray(10, 10 + 3 * PAGE));
    assert.is(view.byteOffset, region.data().byteOffset);
  });

  remap("MappedFile.truncate checks its argument and the file", () => {
    const { file } = setup("truncate.bin", PAGE);
    for (const bad of [-1, 1.5, NaN, "8", 2 ** 53]) throwsCode(() => file.truncate(bad), "EINVAL");
    file.truncate(5n);
    assert.is(file.size(), 5);
    const readOnly = keep(openFile(join(dir, "truncate.bin")));
    const err = throwsCode(() => readOnly.truncate(10), "EINVAL");
    assert.match(err.message, /MappedFile.truncate/);
    file.close();
    throwsCode(() => file.truncate(1), "EBADF");
  });
} else {
  remap("the emulated backend cannot remap: ENOTSUP, and the region stays as it was", () => {
    const { mmf, file } = setup("remap-emu.bin", 3 * PAGE);
    const region = keep(mmf.newMemoryRegion(file, MEM_READWRITE, 0, PAGE));
    throwsCode(() => region.remap(3 * PAGE), "ENOTSUP");
    assert.equal(region.data(), pattern(3 * PAGE).subarray(0, PAGE));
    assert.equal(mmf.stats(), { regions: 1, mappedBytes: PAGE, regionBytes: PAGE });
    assert.equal(mmf.remapCounts(), { inPlace: 0, moved: 0 });
  });
}

remap.run();

// ---- the raw imports, with hostile values -------------------------------------------------------

const raw = suite("raw imports");
raw.after.each(cleanup);

/** A host attached to a plain 16-page (1 MiB) memory with a 2-page mapping at 64 KiB. */
function rawHost() {
  const path = writeFile(dir, "raw.bin", pattern(8 * PAGE));
  const host = keep(new MmfHost());
  const memory = new WebAssembly.Memory({ initial: 16 });
  host.attach(memory);
  const handle = host.grant(path, "r+");
  assert.is(host.imports.map(handle, 0n, 65536, 2 * PAGE, 1), 0);
  return { host, imports: host.imports, memory };
}

raw("lock, unlock, residency and remap check every argument before the backend (then ENOTSUP on the emulated one)", () => {
  const { imports, host } = rawHost();
  const { lock, unlock, residency, remap } = imports;
  const at = 65536;
  const ok = (rc) => (native ? rc : rc === -ENOTSUP ? 0 : rc);
  for (const bad of [NaN, 2 ** 32 + at, 1n, at + 0.5, "65536", undefined]) {
    assert.is(lock(bad, PAGE), -1, `lock(${String(bad)})`);
    assert.is(unlock(at, bad), -1);
    assert.is(residency(at, PAGE, bad), -1);
    assert.is(remap(at, 2 * PAGE, bad, PAGE), -1);
  }
  assert.is(lock(at + 1, PAGE), -1, "unaligned");
  assert.is(lock(at, 0), -1, "empty");
  assert.is(lock(1 << 20, PAGE), -2, "outside the memory");
  assert.is(residency(2 ** 32 - PAGE, PAGE, 0), -2);
  assert.is(lock(0, PAGE), -1, "not a mapping");
  assert.is(residency(at + PAGE, 2 * PAGE, 0), -1, "runs past the mapping");
  assert.is(residency(at, PAGE, (1 << 20) - 0), -2, "the page map outside the memory");
  assert.is(ok(residency(at, 2 * PAGE, (1 << 20) - 2)), native ? 2 : 0, "a page map that just fits");
  assert.is(remap(at, PAGE, at, 2 * PAGE), -1, "not exactly a mapping");
  assert.is(remap(at, 2 * PAGE, (1 << 20) - PAGE, 2 * PAGE), -2, "the new range outside the memory");
  assert.is(remap(at, 2 * PAGE, at + PAGE, 2 * PAGE), -1, "a move onto itself");
  assert.is(imports.map(host.grant(join(dir, "raw.bin"), "r"), 0n, 0, PAGE, 0), 0);
  assert.is(remap(at, 2 * PAGE, 0, PAGE), -1, "onto another mapping");
  assert.is(ok(lock(at, PAGE)), 0);
  assert.is(ok(unlock(at, 2 * PAGE)), 0);
  if (native) {
    assert.is(remap(at, 2 * PAGE, at, 9 * PAGE), -2, "a whole page past the end of the file");
    assert.is(remap(at, 2 * PAGE, at, 8 * PAGE), 0, "in place");
    assert.is(remap(at, 8 * PAGE, 4 * 65536, 8 * PAGE), 0, "moved");
    assert.is(lock(at, PAGE), -1, "the old range is no mapping any more");
    assert.is(residency(4 * 65536, 8 * PAGE, 0) >= 0, true);
    assert.is(host.mappingCount, 2);
  } else {
    assert.is(remap(at, 2 * PAGE, at, 8 * PAGE), -ENOTSUP);
    assert.is(residency(at, PAGE, 0), -ENOTSUP);
  }
});

raw("a closed host answers EINVAL", () => {
  const { host, imports } = rawHost();
  host.close();
  assert.is(imports.lock(65536, PAGE), -1);
  assert.is(imports.residency(65536, PAGE, 0), -1);
  assert.is(imports.remap(65536, 2 * PAGE, 65536, PAGE), -1);
});

raw.run();

// ---- an AssemblyScript guest ------------------------------------------------------------------

const guest = suite("AssemblyScript guest");
guest.after.each(cleanup);

guest("a guest locks, counts resident pages (with and without a page map) and remaps a file the host grew", async () => {
  const path = writeFile(dir, "guest.bin", pattern(3 * PAGE, 9));
  const { host, call } = await loadGuest("region-ops", { preopens: { "/data": dir } });
  keep(host);
  assert.is(call("mapWhole", "/data/guest.bin", MEM_READWRITE, 100n), 0);
  const expectNative = (rc, value) => assert.is(rc, native ? value : -ENOTSUP);
  expectNative(call("lock"), 0);
  expectNative(call("unlock"), 0);
  expectNative(call("resident"), 3);
  expectNative(call("residentByMap"), 3);
  assert.is(call("residencyShortMap"), -2, "a page map too short is ERANGE");
  const file = keep(openFile(path, "r+"));
  file.truncate(40 * PAGE);
  assert.is(call("remap", BigInt(40 * PAGE)), -2, "one page more than the file holds from offset 100");
  if (native) {
    assert.is(call("remap", BigInt(20 * PAGE)), 0);
    assert.is(call("size"), BigInt(20 * PAGE));
    file.truncate(40 * PAGE);
    writeSync(file.fd(), Uint8Array.of(0x33), 0, 1, 100 + 30 * PAGE);
    assert.is(call("remapUnderReader", BigInt(40 * PAGE - 100), BigInt(30 * PAGE)), 0x33, "a reader made before the remap reads the grown region");
    assert.is(call("size"), BigInt(40 * PAGE - 100));
    call("storeAt", BigInt(40 * PAGE - 101), 0x5a);
    assert.is(call("flush"), 0);
    assert.is(readBytes(path)[40 * PAGE - 1], 0x5a);
    assert.is(call("remapUnderReader", BigInt(PAGE), BigInt(2 * PAGE)), -1000, "...and finds the end of a shrunk one");
    assert.is(call("byteAt", 0n), pattern(3 * PAGE, 9)[100]);
  } else {
    assert.is(call("remap", BigInt(40 * PAGE - 100)), -ENOTSUP);
    assert.is(call("size"), BigInt(3 * PAGE - 100));
  }
  assert.is(call("closeAll"), 0);
});

const cGuestWasm = new URL("../dist/test-guests/region-ops-c.wasm", import.meta.url);
const cGuestTest = existsSync(cGuestWasm)
  ? guest
  : (name, fn) => {
      console.log(`  skipped (no C guests: clang-14 with wasi-libc builds them, see scripts/build-c-guests.mjs): ${name}`);
      guest.skip(name, fn);
    };

cGuestTest("a C guest locks, counts and remaps through include/mmf.h: in place in its window, then moved to another", () => {
  const path = writeFile(dir, "c-guest.bin", pattern(4 * PAGE, 11));
  const host = keep(new MmfHost());
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(cGuestWasm)), { mmf: host.imports });
  host.attach(instance);
  const g = /** @type {any} */ (instance.exports); // the guest's own exports
  g._initialize();
  const handle = host.grant(path, "r+");
  const window = g.reserve(16 * PAGE) >>> 0;
  const other = g.reserve(16 * PAGE) >>> 0;
  assert.is(g.region_map(handle, 100n, 2 * PAGE, 1, window, 16 * PAGE), 0);
  assert.is(g.region_lock(1), native ? 0 : -ENOTSUP);
  assert.is(g.region_lock(0), native ? 0 : -ENOTSUP);
  assert.is(g.region_residency(0), native ? 3 : -ENOTSUP);
  assert.is(g.region_residency(1), native ? 3 : -ENOTSUP);
  assert.is(g.region_remap(4 * PAGE - 100, window, 2 * PAGE), -2, "a window too small");
  if (!native) {
    assert.is(g.region_remap(4 * PAGE - 100, window, 16 * PAGE), -ENOTSUP);
    return;
  }
  assert.is(g.region_remap(4 * PAGE - 100, window, 16 * PAGE), 0, "in place");
  assert.is(g.region_map_addr() >>> 0, window);
  assert.is(g.load8(g.region_data() + 4 * PAGE - 101), pattern(4 * PAGE, 11)[4 * PAGE - 1]);
  assert.is(g.region_remap(4 * PAGE - 100, other, 16 * PAGE), 0, "moved");
  assert.is(g.region_map_addr() >>> 0, other);
  assert.is(g.load8(g.region_data() + 5), pattern(4 * PAGE, 11)[105]);
  assert.is(g.load8(window + 105), 0, "the old window holds zeroed memory");
  assert.is(g.region_remap(8 * PAGE, other, 16 * PAGE), -2, "a whole page past the end of the file");
  assert.is(g.region_unmap(), 0);
  assert.is(host.mappingCount, 0);
});

guest.run();
