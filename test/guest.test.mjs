// @ts-check
// Guests: AssemblyScript modules that import wasm-mmf/assembly and map files into their own
// memory through MmfHost (issue 3).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { ErrorCodes, MmfHost, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../dist/host/index.js";
import { countLines } from "../examples/line-count/host.mjs";
import {
  backend,
  reliabilityTest,
  loadGuest,
  mapsOf,
  openFds,
  pattern,
  readBytes,
  realMappingTest,
  sparseFile,
  tempDir,
  writeFile,
  tracked,
} from "./helpers.mjs";

const test = suite("guest");
const track = tracked(test);

const dir = tempDir();
const data = join(dir, "data");
mkdirSync(join(data, "sub"), { recursive: true });
const outside = writeFile(dir, "secret.bin", pattern(5000, 9));
const bytes = pattern(100_000, 4);
const file = writeFile(data, "file.bin", bytes);
writeFile(join(data, "sub"), "inner.bin", bytes);
symlinkSync(outside, join(data, "link-out.bin"));
symlinkSync(dir, join(data, "dir-out"));
symlinkSync("file.bin", join(data, "link-in.bin"));
symlinkSync("/proc/self/mem", join(data, "mem"));
const preopens = { "/data": data };

const { ENOENT, EACCES, EINVAL, ERANGE, EBADF } = ErrorCodes;

test("the line-count example agrees with Node on a multi-window file", async () => {
  const text = Array.from({ length: 100_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`).join("\n") + "\n"; // 3.3 MB: four 1 MiB windows
  const path = track.path(writeFile(dir, "lines.txt", text));
  const want = BigInt(text.split("\n").length - 1);
  const { lines, mappingsLeft, handlesLeft } = await countLines(path, 1);
  assert.is(lines, want);
  assert.is(mappingsLeft, 0);
  assert.is(handlesLeft, 0);
});

test("a guest maps a window of a sparse file past 4 GiB: i64 offsets reach the host whole", async () => {
  const size = 4 * 2 ** 30 + 3 * 4096;
  const path = track.path(sparseFile(dir, "past-4g.bin", size, { [4 * 2 ** 30 + 5]: new Uint8Array([0x4b]), 5: new Uint8Array([0x4a]) }));
  const g = track(await loadGuest("api"));
  const handle = g.host.grant(path, "r");
  const high = g.call("holdHandle", handle, MEM_READ_ONLY, BigInt(4 * 2 ** 30), 8192n);
  assert.ok(high >= 0, `holdHandle: ${high}`);
  assert.is(g.call("heldByte", high, 5n), 0x4b, "the byte at 4 GiB + 5, not the one at 5");
  const low = g.call("holdHandle", handle, MEM_READ_ONLY, 0n, 8192n);
  assert.is(g.call("heldByte", low, 5n), 0x4a);
  assert.is(g.call("holdHandle", handle, MEM_READ_ONLY, BigInt(size - 100), 101n), -ERANGE, "one byte past the end");
  g.call("closeHeld");
  g.host.close();
});

reliabilityTest(test, "the line-count example maps a sparse file over 4 GiB in windows", async () => {
  const size = 4 * 2 ** 30 + 3 * 4096;
  const pieces = {};
  const newlineAt = [0, 123, 2 ** 30, 3 * 2 ** 30 + 7, 4 * 2 ** 30 + 5, size - 1];
  for (const at of newlineAt) pieces[at] = new Uint8Array([10]);
  const path = track.path(sparseFile(dir, "huge.txt", size, pieces));
  const { lines } = await countLines(path, 512);
  assert.is(lines, BigInt(newlineAt.length));
});

test("guest regions: every mode, unaligned offsets, writers, bounds and errors as values", async () => {
  const { call, host, exports } = track(await loadGuest("api", { preopens }));
  const guestPath = "/data/file.bin";
  for (const mode of [MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE]) {
    for (const [offset, at] of [
      [0, 0],
      [67746, 0],
      [67746, 1000],
      [4095, 1],
    ]) {
      assert.is(call("readByte", guestPath, mode, BigInt(offset), 0n, BigInt(at)), bytes[offset + at], `mode ${mode} ${offset}+${at}`);
    }
  }
  assert.is(call("readByte", guestPath, MEM_READ_ONLY, 100n, 10n, 10n), -1000, "past the end reads 0 bytes");
  assert.is(call("readByte", guestPath, MEM_READ_ONLY, 0n, 100_001n, 0n), -ERANGE);
  assert.is(call("readByte", guestPath, MEM_READ_ONLY, 100_001n, 0n, 0n), -ERANGE);
  assert.is(call("readByte", guestPath, 7, 0n, 0n, 0n), -EINVAL);
  assert.is(call("readByte", guestPath, MEM_READ_ONLY, -1n, 0n, 0n), -EINVAL);
  assert.is(call("readByte", guestPath, MEM_READ_ONLY, 0n, 0n, -1n), -EINVAL);

  assert.is(call("writeByte", guestPath, MEM_READWRITE, 5000n, 7n, 0xab), 1);
  assert.is(readBytes(file)[5007], 0xab);
  assert.is(call("writeByte", guestPath, MEM_COPY_ON_WRITE, 5000n, 8n, 0xcd), 1);
  assert.is(readBytes(file)[5008], bytes[5008], "copy-on-write stays private");
  assert.is(call("writeByte", guestPath, MEM_READ_ONLY, 0n, 0n, 1), -EACCES);
  assert.is(call("writeByte", guestPath, MEM_READ_PRIVATE, 0n, 0n, 1), -EACCES);
  writeFileSync(file, bytes);

  assert.is(call("lifecycle", guestPath), 0);
  assert.is(exports.__getString(call("errorNameOf", ERANGE)), "ERANGE");
  assert.is(exports.__getString(call("errorNameOf", ENOENT)), "ENOENT");
  assert.is(host.mappingCount, 0);
  assert.is(host.handleCount, 0);
  host.close();
});

test("paths resolve inside a preopen only: no .., absolute path, symlink or magic link leads out", async () => {
  const { call, host } = track(await loadGuest("api", { preopens }));
  assert.is(call("openError", "/data/file.bin", "r"), 0);
  assert.is(call("openError", "/data/sub/inner.bin", "r"), 0);
  // Every host refuses every ".." and every symlink, also one that would stay inside: the same
  // answer with openat2, the component walk that stands in for it, and the emulated backend.
  assert.is(call("openError", "/data/sub/../file.bin", "r"), EACCES, ".. that stays inside");
  assert.is(call("openError", "/data/link-in.bin", "r"), EACCES, "a symlink that stays inside");
  assert.is(call("openError", "/data/../secret.bin", "r"), EACCES);
  assert.is(call("openError", "/data/sub/../../secret.bin", "r"), EACCES);
  assert.is(call("openError", "/data/link-out.bin", "r"), EACCES);
  assert.is(call("openError", "/data/dir-out/secret.bin", "r"), EACCES);
  assert.is(call("openError", "/data/mem", "r"), EACCES);
  assert.is(call("openError", outside, "r"), ENOENT, "an absolute host path is outside every preopen");
  assert.is(call("openError", "/proc/self/mem", "r"), ENOENT);
  assert.is(call("openError", "/datafile.bin", "r"), ENOENT);
  assert.is(call("openError", "data/file.bin", "r"), ENOENT);
  assert.is(call("openError", "/data/missing.bin", "r"), ENOENT);
  assert.is(call("openError", "/data", "r"), EINVAL);
  assert.is(call("openError", "/data/sub", "r"), EINVAL);
  assert.is(call("openError", "/data/file.bin", "rw"), EINVAL);
  assert.is(host.handleCount, 0);
  host.close();
});

realMappingTest(test, "the native component walk (openat2's stand-in) refuses every symlink and ..", async () => {
  const { nativeHelper } = await import("../dist/host/native.js");
  const native = nativeHelper();
  const dirfd = native.openDirectory(data);
  const ok = native.openBeneathWalk(dirfd, "sub/inner.bin", 0);
  assert.ok(ok > 0);
  (await import("node:fs")).closeSync(ok);
  for (const path of ["../secret.bin", "sub/../../secret.bin", "link-out.bin", "dir-out/secret.bin", "link-in.bin", "mem", "sub/../file.bin"]) {
    const rc = native.openBeneathWalk(dirfd, path, 0);
    assert.ok(rc < 0, `${path} -> ${rc}`);
  }
  (await import("node:fs")).closeSync(dirfd);
});

test("grants: a read-only grant never maps writable; handles are per guest", async () => {
  const a = track(await loadGuest("api"));
  const b = track(await loadGuest("api"));
  const ro = a.host.grant(file, "r");
  assert.is(a.call("holdHandle", ro, MEM_READWRITE, 0n, 0n), -EACCES);
  const cow = a.call("holdHandle", ro, MEM_COPY_ON_WRITE, 0n, 0n);
  assert.ok(cow >= 0);
  assert.is(a.call("writeHeld", cow, 10n, 0x11), 1);
  a.call("pokeHeld", cow, 11n, 0x22);
  assert.is(a.call("heldByte", cow, 10n), 0x11);
  assert.equal(readBytes(file), bytes, "copy-on-write on a read-only grant stays private");
  const roIndex = a.call("holdHandle", ro, MEM_READ_ONLY, 0n, 0n);
  a.call("pokeHeld", roIndex, 0n, 0x33); // a raw store into a read-only region
  assert.equal(readBytes(file), bytes, "a raw store into a read-only region stays private");
  assert.is(b.call("holdHandle", ro, MEM_READ_ONLY, 0n, 0n), -EBADF, "a's handle means nothing to b");
  assert.is(b.call("holdHandle", 12345, MEM_READ_ONLY, 0n, 0n), -EBADF);
  assert.throws(
    () => a.host.grant(join(dir, "nope.bin")),
    (e) => e.code === "ENOENT",
  );
  a.call("closeHeld");
  a.host.close();
  b.host.close();
});

realMappingTest(test, "two guests mapping one file MEM_READWRITE see each other's writes without a flush", async () => {
  const path = track.path(writeFile(data, "shared.bin", new Uint8Array(8192)));
  const a = track(await loadGuest("api", { preopens }));
  const b = track(await loadGuest("api", { preopens }));
  const ia = a.call("holdPath", "/data/shared.bin", "r+", MEM_READWRITE);
  const ib = b.call("holdPath", "/data/shared.bin", "r+", MEM_READWRITE);
  assert.ok(ia >= 0 && ib >= 0);
  assert.is(a.call("writeHeld", ia, 4100n, 0x5a), 1);
  assert.is(b.call("heldByte", ib, 4100n), 0x5a);
  b.call("pokeHeld", ib, 7n, 0x6b);
  assert.is(a.call("heldByte", ia, 7n), 0x6b);
  assert.is(readBytes(path)[7], 0x6b);
  a.host.close(); // unmaps what a still holds
  b.host.close();
  assert.is(mapsOf(path).length, 0);
});

test("regions a guest's collector frees are unmapped; host.close() releases the rest", async () => {
  const fds = openFds();
  const g = track(await loadGuest("api", { preopens }));
  assert.is(g.call("leakRegions", "/data/file.bin", 200), 0);
  assert.ok(g.host.mappingCount > 0);
  g.exports.__collect();
  assert.is(g.host.mappingCount, 0, "__finalize unmapped every dropped region");
  assert.is(g.host.handleCount, 0, "and closed the dropped file");
  assert.ok(g.call("holdPath", "/data/file.bin", "r", MEM_READ_ONLY) >= 0);
  assert.is(g.host.mappingCount, 1);
  g.host.close();
  assert.is(openFds(), fds);
  if (backend === "native") assert.is(mapsOf(file).length, 0, "host.close() unmapped the last region");
});

test("guests in worker_threads, each with its own MmfHost", async () => {
  const text = "a\nb\nc\n".repeat(10_000);
  const path = track.path(writeFile(dir, "worker.txt", text));
  const script = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.module).then(({ countLines }) => countLines(workerData.path, 1))
      .then((r) => parentPort.postMessage(String(r.lines)), (e) => parentPort.postMessage("error " + e.message));`;
  const module = new URL("../examples/line-count/host.mjs", import.meta.url).href;
  const results = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise((resolve, reject) => {
          const w = track(new Worker(script, { eval: true, workerData: { module, path } }));
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  assert.equal(results, ["30000", "30000", "30000"]);
});

test("MmfHost refuses bad preopens and attaching twice", async () => {
  assert.throws(
    () => new MmfHost({ preopens: { data: data } }),
    (e) => e.code === "EINVAL",
  );
  assert.throws(
    () => new MmfHost({ preopens: { "/x": join(dir, "missing") } }),
    (e) => e.code === "ENOENT",
  );
  const host = track(new MmfHost());
  host.attach(new WebAssembly.Memory({ initial: 1 }));
  assert.throws(
    () => host.attach(new WebAssembly.Memory({ initial: 1 })),
    (e) => e.code === "EINVAL",
  );
  host.close();
});

test.run();
