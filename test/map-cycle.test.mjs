// @ts-check
// What the map cycle's shortcuts (issue 14) must keep. The native helper keeps the guard's
// descriptor of a file for its next map (a bounded few, given back when its file is closed, when
// descriptors run short, and after 2 s unused), checks the SIGBUS handler at one map in 64, takes
// one fstat per map, and leaves the zeroed pages of an unmap unmerged until they are mapped over
// again or pushed out. Each case is one of the races and limits they meet.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { constants, ftruncateSync, openSync, renameSync, truncateSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { createMmf, openFile, MmfHost, MEM_READ_ONLY, MEM_READWRITE } from "../dist/host/index.js";
import { areasOverlapping, backend, openFds, pattern, realMappingTest, root, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("map-cycle");
const track = tracked(test);

const dir = tempDir();
const PAGE = 4096;
const LONG = process.env.MMF_RELIABILITY === "1";
const native = backend === "native" ? (await import("../dist/host/native.js")).nativeHelper() : /** @type {never} */ (undefined); // used by native-only tests
/** Areas of the process over the memory whose view is `view` (V8 reserves 10 GiB for one). */
function areasOf(view) {
  const base = BigInt(native.memoryBase(view));
  return areasOverlapping(base, base + (16n << 30n));
}
/** A Mappable over a raw descriptor: nothing tells the helper when it is closed. */
const rawMappable = (fd) => ({ fd: () => fd });

/** Runs an ES module body in a fresh Node; `shell` runs before it (ulimit). */
function runChild(body, shell = "") {
  const source = `
    import { createMmf, openFile, MEM_READ_ONLY } from ${JSON.stringify(join(root, "dist/host/index.js"))};
    import { nativeHelper } from ${JSON.stringify(join(root, "dist/host/native.js"))};
    import * as fs from "node:fs";
    const say = (line) => process.stdout.write(line + "\\n");
    ${body}`;
  const command = `${shell} exec "$0" --input-type=module -e "$1"`;
  return spawnSync("sh", ["-c", command, process.execPath, source], { encoding: "utf8", timeout: 20_000 });
}

realMappingTest(test, "the guard keeps one descriptor per file across map + close cycles, and closes it with the file", () => {
  const path = track.path(writeFile(dir, "cycled.bin", pattern(4 * PAGE, 1)));
  const before = native.guardStats();
  const fds = openFds();
  const mmf = track(createMmf());
  const fdsWithMmf = openFds();
  const file = track(openFile(path));
  for (let i = 0; i < 100; i++) {
    const region = mmf.newMemoryRegion(file, MEM_READ_ONLY, (i % 4) * PAGE, PAGE);
    assert.is(region.data()[0], pattern(4 * PAGE, 1)[(i % 4) * PAGE]);
    region.close();
  }
  const cycled = native.guardStats();
  console.log(
    `  100 cycles of one file: guard descriptors ${before.files} -> ${cycled.files} (idle ${before.idleFiles} -> ${cycled.idleFiles}), process descriptors ${fdsWithMmf} -> ${openFds()}`,
  );
  assert.is(cycled.files - before.files, 1, "one descriptor for the file");
  assert.is(cycled.idleFiles - before.idleFiles, 1, "kept idle for its next map");
  assert.is(openFds(), fdsWithMmf + 2, "the file's and the guard's");
  file.close();
  assert.is(native.guardStats().files, before.files, "closing the file closes the guard's");
  assert.is(openFds(), fdsWithMmf);
  // A file closed while mapped: the guard's descriptor goes with the last mapping, not kept idle.
  const again = track(openFile(path));
  const region = track(mmf.newMemoryRegion(again, MEM_READ_ONLY));
  again.close();
  region.close();
  assert.is(native.guardStats().files, before.files);
  mmf.close();
  assert.is(openFds(), fds);
});

realMappingTest(test, "a file replaced under its name between maps is guarded as the new file; one renamed stays itself", () => {
  const mmf = track(createMmf());
  const path = track.path(writeFile(dir, "replaced.bin", new Uint8Array(8 * PAGE).fill(1)));
  const old = track(openFile(path));
  mmf.newMemoryRegion(old, MEM_READ_ONLY).close(); // the old file's descriptor now idle in the guard
  writeFile(dir, "replacement.tmp", new Uint8Array(8 * PAGE).fill(2));
  renameSync(join(dir, "replacement.tmp"), path);
  const fresh = track(openFile(path));
  const region = track(mmf.newMemoryRegion(fresh, MEM_READ_ONLY));
  const view = region.data();
  assert.is(view[0], 2, "the new file's bytes");
  // A fault of the new file is classified with the new file's size (the old one still has 8 pages:
  // classified with it, the fault would be an I/O error).
  truncateSync(path, PAGE);
  assert.is(view[5 * PAGE], 0);
  throwsCode(() => region.data(), "ETRUNCATED");
  region.close.bind(region);
  throwsCode(() => region.close(), "ETRUNCATED");

  const moving = track.path(writeFile(dir, "moving.bin", new Uint8Array(8 * PAGE).fill(3)));
  const kept = track(openFile(moving));
  mmf.newMemoryRegion(kept, MEM_READ_ONLY).close();
  const idle = native.guardStats().idleFiles;
  renameSync(moving, join(dir, "moved.bin"));
  const renamed = track(mmf.newMemoryRegion(kept, MEM_READ_ONLY));
  assert.is(native.guardStats().idleFiles, idle - 1, "the renamed file's idle descriptor is used again");
  truncateSync(join(dir, "moved.bin"), PAGE);
  assert.is(renamed.data.call(renamed)[6 * PAGE] ?? 0, 0);
  throwsCode(() => renamed.close(), "ETRUNCATED");
  for (const f of [old, fresh, kept]) f.close();
  mmf.close();
});

realMappingTest(test, "idle descriptors: at most 16, and the first to go when the process runs out of descriptors", () => {
  const run = runChild(
    `
    const mmf = createMmf();
    const dir = ${JSON.stringify(dir)};
    const files = [];
    for (let i = 0; i < 31; i++) {
      fs.writeFileSync(dir + "/many-" + i + ".bin", new Uint8Array(4096).fill(i));
      files.push(openFile(dir + "/many-" + i + ".bin"));
    }
    for (const f of files.slice(0, 30)) mmf.newMemoryRegion(f, MEM_READ_ONLY).close();
    say("idle after 30 files " + nativeHelper().guardStats().idleFiles);
    const filler = [];
    try { for (;;) filler.push(fs.openSync("/dev/null", "r")); } catch (e) { say("filled " + e.code); }
    const region = mmf.newMemoryRegion(files[30], MEM_READ_ONLY);
    say("mapped with no descriptor free: byte " + region.data()[0] + ", idle " + nativeHelper().guardStats().idleFiles);
    region.close();`,
    "ulimit -n 200;",
  );
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /idle after 30 files 16\n/);
  assert.match(run.stdout, /filled EMFILE/);
  assert.match(run.stdout, /mapped with no descriptor free: byte 30, idle 0/);
});

realMappingTest(
  test,
  `a file only ever closed by its owner: its idle descriptor goes ${LONG ? "after 2 s unused (a deleted file's blocks come back)" : "when trimmed"}`,
  async () => {
    const path = track.path(writeFile(dir, "deleted.bin", new Uint8Array(4 * PAGE).fill(4)));
    const mmf = track(createMmf());
    const before = native.guardStats().files;
    const fd = track.fd(openSync(path, "r"));
    mmf.newMemoryRegion(rawMappable(fd), MEM_READ_ONLY).close();
    track.close(fd); // not through MappedFile: the helper is not told
    unlinkSync(path);
    assert.is(native.guardStats().files, before + 1, "kept idle");
    if (LONG) {
      const deadline = Date.now() + 5000;
      while (native.guardStats().files > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      console.log(`  the idle descriptor of a deleted file went after ${5000 - (deadline - Date.now())} ms`);
    } else {
      assert.is(native.trimIdleFiles(false), native.guardStats().idleFiles, "not yet 2 s unused: kept");
      native.trimIdleFiles(true);
    }
    assert.is(native.guardStats().files, before);
    mmf.close();
  },
);

realMappingTest(test, "a SIGBUS handler put in place by native code (not process.on) is replaced again within 64 maps", () => {
  const so = join(dir, "sigbus-default.so");
  const cc = spawnSync("cc", ["-shared", "-fPIC", "-o", so, "-x", "c", "-"], {
    input: "#include <signal.h>\n__attribute__((constructor)) static void reset(void) { signal(SIGBUS, SIG_DFL); }\n",
    encoding: "utf8",
  });
  assert.is(cc.status, 0, `cc: ${cc.error ?? cc.stderr}`);
  const child = (maps) =>
    runChild(`
    const mmf = createMmf();
    fs.writeFileSync(${JSON.stringify(dir)} + "/victim.bin", new Uint8Array(8 * 4096).fill(7));
    const file = openFile(${JSON.stringify(dir)} + "/victim.bin");
    const region = mmf.newMemoryRegion(file, MEM_READ_ONLY); // installs the guard
    try { process.dlopen({ exports: {} }, ${JSON.stringify(so)}); } catch {} // SIGBUS back to the default action
    for (let i = 0; i < ${maps}; i++) mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 4096).close();
    fs.truncateSync(${JSON.stringify(dir)} + "/victim.bin", 4096);
    say("read " + region.data.call(region).at(5 * 4096));`);
  const after64 = child(64);
  assert.is(after64.status, 0, `${after64.signal} ${after64.stderr}`);
  assert.match(after64.stdout, /read 0/);
  // And without the maps, the default action is what it gets: the test can tell.
  assert.is(child(0).signal, "SIGBUS");
});

realMappingTest(test, "map + close at one place adds no area; unmerged ranges stay few and merge when the instance closes", () => {
  const path = track.path(writeFile(dir, "areas.bin", pattern(64 * PAGE, 2)));
  const file = track(openFile(path));
  const mmf = track(createMmf());
  const areas = () => areasOf(new Uint8Array(mmf.memory.buffer));
  const start = areas();
  mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE).close();
  const first = areas();
  for (let i = 0; i < 500; i++) mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, PAGE).close();
  const cycled = areas();
  // Sixteen regions open at once, at sixteen places, then closed: four stay unmerged at most.
  const regions = [];
  for (let i = 0; i < 16; i++) regions.push(mmf.newMemoryRegion(file, MEM_READ_ONLY, i * PAGE, (1 + (i % 3)) * PAGE));
  for (const r of regions) r.close();
  const scattered = areas();
  // A region over part of an unmerged range (the allocator's first free page is its start).
  const big = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 32 * PAGE));
  big.close();
  const part = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 5 * PAGE, 2 * PAGE));
  assert.equal([...part.data().subarray(0, 8)], [...pattern(64 * PAGE, 2).subarray(5 * PAGE, 5 * PAGE + 8)]);
  part.close();
  const overlapped = areas();
  mmf.close();
  const closed = areas();
  file.close();
  console.log(
    `  areas: ${start} at start, ${first} after one cycle, ${cycled} after 500 more, ${scattered} after 16 at once, ${overlapped} after a partial overlap, ${closed} once closed`,
  );
  assert.is(cycled, first, "cycles at one place add nothing");
  assert.ok(scattered - start <= 2 * 4 + 2, `at most four unmerged ranges: ${start} -> ${scattered}`);
  assert.ok(overlapped - start <= 2 * 4 + 2, `${start} -> ${overlapped}`);
  assert.ok(closed <= start, `merged back at close: ${start} -> ${closed}`);
});

realMappingTest(test, "the helper's new calls refuse what is no descriptor, range or flag, and never wrap a value", () => {
  const { EBADF, EINVAL, ERANGE } = osConstants.errno;
  const path = track.path(writeFile(dir, "hostile.bin", new Uint8Array(2 * PAGE).fill(5)));
  const fd = track.fd(openSync(path, "r"));
  const view = new Uint8Array(new WebAssembly.Memory({ initial: 2 }).buffer);
  try {
    for (const bad of [2 ** 32 + fd, -1, fd + 0.5, NaN, BigInt(fd), String(fd), undefined]) {
      // @ts-expect-error: not a descriptor
      assert.is(native.forgetFile(bad), -EBADF, `forgetFile(${String(bad)})`);
      // @ts-expect-error: not a descriptor
      assert.is(native.fileSize(bad), -EBADF, `fileSize(${String(bad)})`);
    }
    assert.is(native.fileSize(fd), 2 * PAGE);
    for (const [addr, len, code] of [
      [1, PAGE, EINVAL],
      [0, 0, EINVAL],
      [0, 3 * 65536, ERANGE],
      [2 ** 32, PAGE, ERANGE],
      [NaN, PAGE, EINVAL],
    ]) {
      assert.is(native.merge(view, addr, len), -code, `merge(${addr}, ${len})`);
    }
    assert.is(native.merge(view, 0, PAGE), 0, "a range of the memory");
    // @ts-expect-error: not a boolean
    assert.is(native.trimIdleFiles("yes"), -EINVAL);
    // The host-only bit passes; bit 2 (READ_ONLY, the host strips it) and others do not.
    assert.is(native.map(view, 0, PAGE, fd, 0, 8, -1), 0);
    assert.is(native.unmap(view, 0, PAGE), 0);
    for (const flags of [4, 16, 2 ** 32 + 8]) assert.is(native.map(view, 0, PAGE, fd, 0, flags, -1), -EINVAL, `flags ${flags}`);
  } finally {
    track.close(fd);
  }
});

realMappingTest(test, "fileSize's stat vouches for one map of its own descriptor only (MAP_STAT_KNOWN)", () => {
  const { ERANGE } = osConstants.errno;
  const small = track.fd(openSync(writeFile(dir, "stat-small.bin", new Uint8Array(PAGE).fill(1)), "r"));
  const big = track.fd(openSync(writeFile(dir, "stat-big.bin", new Uint8Array(3 * PAGE).fill(2)), "r+"));
  const view = new Uint8Array(new WebAssembly.Memory({ initial: 2 }).buffer);
  try {
    assert.is(native.fileSize(big), 3 * PAGE);
    assert.is(native.map(view, 0, 3 * PAGE, small, 0, 8, -1), -ERANGE, "the big file's stat must not let the small one map 3 pages");
    assert.is(native.fileSize(big), 3 * PAGE);
    assert.is(native.map(view, 0, 3 * PAGE, big, 0, 8, -1), 0, "its own stat");
    assert.is(native.unmap(view, 0, 3 * PAGE), 0);
    ftruncateSync(big, PAGE);
    assert.is(native.map(view, 0, 3 * PAGE, big, 0, 8, -1), -ERANGE, "a stat used once already: the truncation is seen");
  } finally {
    native.unmap(view, 0, 3 * PAGE);
    track.close(small);
    track.close(big);
  }
});

test("a guest's file_size does not vouch for its next map: a truncation between the two is ERANGE", () => {
  const path = track.path(writeFile(dir, "guest-stat.bin", new Uint8Array(3 * PAGE).fill(3)));
  const host = track(new MmfHost());
  try {
    host.attach(new WebAssembly.Memory({ initial: 4 }));
    const handle = host.grant(path, "r");
    assert.is(host.imports.file_size(handle), BigInt(3 * PAGE));
    truncateSync(path, PAGE);
    assert.is(host.imports.map(handle, 0n, 65536, 3 * PAGE, 0), -2, "ERANGE: the map's own stat sees one page");
    assert.is(host.imports.map(handle, 0n, 65536, PAGE, 0), 0, "the page that is left");
  } finally {
    host.close();
  }
});

test("the descriptor is checked with the map's own stat: write-only and read-only descriptors, a range past the end", () => {
  const path = track.path(writeFile(dir, "modes.bin", new Uint8Array(2 * PAGE).fill(9)));
  const mmf = track(createMmf());
  const writeOnly = track.fd(openSync(path, constants.O_WRONLY));
  throwsCode(() => mmf.newMemoryRegion(rawMappable(writeOnly), MEM_READ_ONLY), "EACCES");
  track.close(writeOnly);
  const readOnly = track.fd(openSync(path, constants.O_RDONLY));
  throwsCode(() => mmf.newMemoryRegion(rawMappable(readOnly), MEM_READWRITE), "EACCES");
  assert.is(mmf.newMemoryRegion(rawMappable(readOnly), MEM_READ_ONLY).data()[0], 9);
  track.close(readOnly);
  // Through the host's imports, as a guest calls them: a range a whole page past the end.
  const host = track(new MmfHost());
  host.attach(new WebAssembly.Memory({ initial: 4 }));
  const handle = host.grant(path, "r+");
  assert.is(host.imports.map(handle, 0n, 65536, 3 * PAGE, 0), -2, "ERANGE");
  assert.is(host.imports.map(handle, 0n, 65536, 2 * PAGE, 1), 0, "the file's own pages");
  assert.is(host.imports.map(handle, 2n ** 60n, 65536 + 2 * PAGE, PAGE, 0), -2, "an offset past any file: ERANGE");
  assert.is(host.imports.map(handle, 2n ** 60n + 1n, 65536 + 2 * PAGE, PAGE, 0), -1, "and unaligned: EINVAL");
  host.close();
  mmf.close();
});

test.run();
