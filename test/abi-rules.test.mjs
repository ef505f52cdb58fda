// @ts-check
// docs/abi.md rule by rule (issue 12), through the raw `mmf` imports (MmfHost.imports, called as a
// guest calls them) on both backends with the same expectations: the attach contract, guest paths,
// each rule of "What the host guarantees", the edge cases, and the native helper's own checks
// under the host's. test/wasmtime/test_abi_rules.py holds the Wasmtime host to the same rules.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { ABI_VERSION, AdviceCodes, ErrorCodes, MapFlags, MmfHost, OpenModes } from "../dist/host/index.js";
import { backend, mapsOf, openFds, pattern, readBytes, realMappingTest, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";
import { internals } from "./internals.mjs";

const test = suite("abi-rules");
const track = tracked(test);

const { EINVAL, ERANGE, EACCES, EBADF, ENOMEM, ENOENT, ETRUNCATED } = ErrorCodes;
const { SHARED, POPULATE, READ_ONLY } = MapFlags;
const dir = tempDir();
const data = join(dir, "data");
mkdirSync(join(data, "sub"), { recursive: true });
const bytes = pattern(6 * 4096 + 100, 21);
const file = writeFile(data, "x.bin", bytes);
writeFile(join(data, "sub"), "y.bin", bytes);
writeFile(dir, "dataro.bin", bytes); // next to the preopened folder, not in it
writeFile(dir, "secret.bin", pattern(100, 1));
symlinkSync("x.bin", join(data, "link-in.bin"));
symlinkSync("../secret.bin", join(data, "link-out.bin"));
execFileSync("mkfifo", [join(data, "fifo")]);
const socket = createServer().listen(join(data, "socket"));
await new Promise((resolve) => socket.once("listening", resolve));
socket.unref(); // a listening socket file in the preopen; it must not keep the process alive

/** A host with `/data` preopened, attached to a fresh unshared memory of `pages` Wasm pages. */
function hostWith(options = {}, pages = 16) {
  const memory = new WebAssembly.Memory({ initial: pages });
  const host = new MmfHost({ preopens: { "/data": data }, ...options });
  host.attach(memory);
  return { host, imp: host.imports, memory, ps: host.pageSize };
}

/** Writes `path` (a string, or raw bytes) into the memory at 1024 and calls open on it. */
/** @param {number} [mode] */
function openAt(imp, memory, path, mode = OpenModes.READ) {
  const raw = typeof path === "string" ? new TextEncoder().encode(path) : path;
  new Uint8Array(memory.buffer).set(raw, 1024);
  return imp.open(1024, raw.length, mode);
}

test(`the attach contract: ABI version ${ABI_VERSION}; before attach only page_size, file_size and close answer; exports.memory, no maximum needed`, () => {
  const host = track(new MmfHost({ preopens: { "/data": data } }));
  const imp = host.imports;
  const ps = imp.page_size();
  assert.ok(ps >= 4096 && ps <= 65536 && 65536 % ps === 0, "a 64 KiB Wasm page holds whole host pages");
  const handle = host.grant(file, "r+");
  assert.is(imp.file_size(handle), BigInt(bytes.length));
  /** @type {Array<[string, () => number]>} */
  const beforeAttach = [
    ["map", () => imp.map(handle, 0n, 0, ps, 0)],
    ["unmap", () => imp.unmap(0, ps)],
    ["sync", () => imp.sync(0, ps, 0)],
    ["advise", () => imp.advise(0, ps, 0)],
    ["watch", () => imp.watch(0)],
    ["open", () => imp.open(0, 4, 0)],
    ["fault_cause", () => imp.fault_cause(0, ps)],
    ["truncated", () => imp.truncated(0, ps)],
  ];
  for (const [name, call] of beforeAttach) {
    assert.is(call(), -EINVAL, `${name} before attach`);
  }
  assert.is(imp.close(handle), 0, "close before attach");
  // (module (memory (export "memory") 1)): one page, no maximum.
  const module = new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 109, 101, 109, 111, 114, 121, 2, 0));
  const instance = new WebAssembly.Instance(module);
  throwsCode(() => host.attach(new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)))), "EINVAL");
  host.attach(instance);
  const memory = /** @type {WebAssembly.Memory} */ (instance.exports.memory);
  const again = host.grant(file, "r");
  memory.grow(3);
  assert.is(imp.map(again, 0n, 65536, 2 * ps, 0), 0);
  memory.grow(16384); // 1 GiB more: the memory must not move under the mapping
  assert.equal(new Uint8Array(memory.buffer, 65536, 2 * ps), bytes.subarray(0, 2 * ps), "the mapping survives a grow of a memory without maximum");
  assert.is(imp.map(again, 0n, 16384 * 65536, ps, 0), 0, "and maps into grown pages");
  throwsCode(() => host.attach(new WebAssembly.Memory({ initial: 1 })), "EINVAL");
  host.close();
});

test("guest paths: the exact forms, whole-component prefixes, what `data/x`, `/data/`, ``, `//`, `.` and others give", () => {
  const { host, imp, memory } = hostWith();
  const cases = [
    ["/data/x.bin", "handle"],
    ["/data//x.bin", "handle"],
    ["/data/./x.bin", "handle"],
    ["/data/sub/y.bin", "handle"],
    ["/data/sub//./y.bin", "handle"],
    ["data/x.bin", ENOENT],
    ["x.bin", ENOENT],
    [".", ENOENT],
    ["//", ENOENT],
    ["/dataro.bin", ENOENT],
    ["/data/missing.bin", ENOENT],
    ["/proc/self/mem", ENOENT],
    ["/data/x.bin/y", ENOENT],
    ["", EINVAL],
    ["/data", EINVAL],
    ["/data/", EINVAL],
    ["/data/.", EINVAL],
    ["/data/sub", EINVAL],
    ["/data/sub/", EINVAL],
    ["/data/x.bin/", EINVAL],
    ["/data/fifo", EINVAL],
    ["/data/socket", EINVAL],
    ["/data/x.bin\0", EINVAL],
    [Uint8Array.of(0x2f, 0xff, 0xfe), EINVAL],
    ["/data/" + "a".repeat(4096), EINVAL],
    ["/data/..", EACCES],
    ["/data/../dataro.bin", EACCES],
    ["/data/sub/../x.bin", EACCES],
    ["/data/link-in.bin", EACCES],
    ["/data/link-out.bin", EACCES],
  ];
  for (const [path, want] of cases) {
    const got = openAt(imp, memory, path);
    const label = typeof path === "string" ? JSON.stringify(path) : "invalid UTF-8";
    if (want === "handle") {
      assert.ok(got > 0, `${label}: ${got}`);
      assert.is(imp.close(got), 0);
    } else {
      assert.is(got, -want, label);
    }
  }
  assert.is(imp.open(memory.buffer.byteLength - 2, 4, 0), -ERANGE, "a path that runs past the memory");
  assert.is(openAt(imp, memory, "/data/x.bin", 3), -EINVAL, "an unknown mode");
  assert.is(host.handleCount, 0);
  host.close();
  // A "/" preopen: "//" names it (a folder), "/x.bin" a file in it. The longest prefix wins.
  const root = track(new MmfHost({ preopens: { "/": data, "/data/sub": join(data, "sub") } }));
  const m = new WebAssembly.Memory({ initial: 1 });
  root.attach(m);
  assert.is(openAt(root.imports, m, "//"), -EINVAL);
  assert.ok(openAt(root.imports, m, "/x.bin") > 0);
  assert.ok(openAt(root.imports, m, "/data/sub/y.bin") > 0, "/data/sub is its own preopen");
  assert.is(openAt(root.imports, m, "/sub/../x.bin"), -EACCES);
  root.close();
  console.log(`  [${backend}] ${cases.length + 4} guest paths, each with the documented answer`);
});

realMappingTest(test, "without openat2 the native helper's component walk gives the same answers", async () => {
  const { nativeHelper } = await import("../dist/host/native.js");
  const { codeFromErrno } = await import("../dist/host/errors.js");
  const native = nativeHelper();
  const dirfd = native.openDirectory(data);
  const answer = (fd) => {
    if (fd < 0) return codeFromErrno(fd);
    closeSync(fd);
    return 0;
  };
  const paths = ["x.bin", "sub/y.bin", "x.bin/y", "missing.bin", "sub/missing/y.bin", "link-in.bin", "link-out.bin", "fifo", "socket", "sub"];
  for (const path of paths) assert.is(answer(native.openBeneathWalk(dirfd, path, 0)), answer(native.openBeneath(dirfd, path, 0)), path);
  native.closeFd(dirfd);
});

test("read-only stays read-only: a shared map needs a read-write handle and descriptor; private maps keep stores in memory", () => {
  const { host, imp, memory, ps } = hostWith();
  const ro = openAt(imp, memory, "/data/x.bin", OpenModes.READ);
  const granted = host.grant(file, "r");
  const fd = track.fd(openSync(file, "r"));
  const lentReadOnly = internals(host).addHandle(fd, true); // said writable, but the descriptor is O_RDONLY
  const writeOnly = track.fd(openSync(join(dir, "write-only.bin"), "w"));
  writeFileSync(writeOnly, bytes);
  const lentWriteOnly = internals(host).addHandle(writeOnly, true);
  for (const [label, handle] of [
    ["open READ", ro],
    ["grant r", granted],
    ["a read-only descriptor lent as writable", lentReadOnly],
  ]) {
    assert.is(imp.map(handle, 0n, 0, ps, SHARED), -EACCES, label);
    assert.is(imp.map(handle, 0n, 0, ps, SHARED | READ_ONLY), -EACCES, `${label}, READ_ONLY changes no check`);
  }
  assert.is(imp.map(lentWriteOnly, 0n, 0, ps, 0), -EACCES, "a write-only descriptor maps not at all");
  assert.is(imp.map(ro, 0n, 4 * ps, 2 * ps, 0), 0);
  const view = new Uint8Array(memory.buffer);
  view[4 * ps + 5] ^= 0xff;
  assert.is(view[4 * ps + 5], bytes[5] ^ 0xff, "the private copy takes the store");
  assert.is(imp.unmap(4 * ps, 2 * ps), 0);
  assert.equal(readBytes(file), bytes, "the file never sees it");
  host.close();
  for (const d of [fd, writeOnly]) track.close(d);
});

test("every address and length is checked first: a map refused on its arguments leaves every byte of the guest untouched", () => {
  const { host, imp, memory, ps } = hostWith({ maxMappings: 2 });
  const h = host.grant(file, "r+");
  const size = memory.buffer.byteLength;
  assert.is(imp.map(h, 0n, 8 * ps, 2 * ps, SHARED), 0);
  assert.is(imp.map(h, 0n, 12 * ps, ps, 0), 0);
  const view = new Uint8Array(memory.buffer);
  const fill = pattern(size, 3);
  const outside = (i) => !(i >= 8 * ps && i < 10 * ps) && !(i >= 12 * ps && i < 13 * ps);
  for (let i = 0; i < size; i++) if (outside(i)) view[i] = fill[i];
  const fileEnd = BigInt(Math.ceil(bytes.length / ps) * ps);
  /** @type {Array<[string, any[], number]>} */
  const refused = [
    ["unaligned address", [h, 0n, 100, ps, 0], EINVAL],
    ["unaligned length", [h, 0n, 0, ps + 1, 0], EINVAL],
    ["zero length", [h, 0n, 0, 0, 0], EINVAL],
    ["past the memory", [h, 0n, size, ps, 0], ERANGE],
    ["straddling its end", [h, 0n, size - ps, 2 * ps, 0], ERANGE],
    ["an address read unsigned, 2^32 - page", [h, 0n, -ps, ps, 0], ERANGE],
    ["a negative file offset", [h, -BigInt(ps), 0, ps, 0], EINVAL],
    ["the most negative file offset", [h, -(2n ** 63n), 0, ps, 0], EINVAL],
    ["an unaligned file offset", [h, 1n, 0, ps, 0], EINVAL],
    ["a whole page past the end of the file", [h, fileEnd, 0, ps, 0], ERANGE],
    ["a file offset near 2^63", [h, 2n ** 63n - BigInt(ps), 0, ps, 0], ERANGE],
    ["an unknown flag bit", [h, 0n, 0, ps, (SHARED | POPULATE | READ_ONLY) + 1], EINVAL],
    ["every flag bit", [h, 0n, 0, ps, -1], EINVAL],
    ["an unknown handle", [12345, 0n, 0, ps, 0], EBADF],
    ["over a live mapping", [h, 0n, 9 * ps, ps, 0], EINVAL],
    ["over a live mapping from below", [h, 0n, 7 * ps, 2 * ps, 0], EINVAL],
    ["past the guest's budget (maxMappings 2)", [h, 0n, 0, ps, 0], ENOMEM],
  ];
  for (const [label, args, code] of refused) assert.is(imp.map(.../** @type {[number, bigint, number, number, number]} */ (args)), -code, label);
  let changed = 0;
  for (let i = 0; i < size; i++) if (outside(i) && view[i] !== fill[i]) changed++;
  assert.is(changed, 0, "a refused map changed bytes of the guest");
  assert.match(internals(host).takeRefusal() ?? "", /maxMappings 2/, "the embedder learns which limit it was");
  assert.is(host.mappingCount, 2);
  host.close();
  console.log(`  [${backend}] ${refused.length} refused maps, ${size} bytes of the guest checked: none changed`);
});

realMappingTest(test, "a map that the system refuses after the checks leaves zeroed memory there, never a hole or the old bytes", () => {
  // A sysfs attribute is a regular file of 4096 bytes that mmap refuses (ENODEV, which is EINVAL).
  const attribute = "/sys/kernel/mm/transparent_hugepage/enabled";
  const { host, imp, memory, ps } = hostWith();
  const view = new Uint8Array(memory.buffer);
  view.fill(0x77, 4 * ps, 6 * ps);
  assert.is(imp.map(host.grant(attribute, "r"), 0n, 4 * ps, ps, 0), -EINVAL);
  assert.equal(view.subarray(4 * ps, 5 * ps), new Uint8Array(ps), "zeroed memory where the map failed");
  assert.is(view[5 * ps], 0x77, "the next page untouched");
  assert.is(host.mappingCount, 0);
  host.close();
});

test("limits are errors: past maxHandles an open is ENOMEM, past maxMappings a map; unmap and close make room again", () => {
  const { host, imp, memory, ps } = hostWith({ maxHandles: 3, maxMappings: 3 });
  const handles = [1, 2, 3].map(() => openAt(imp, memory, "/data/x.bin"));
  assert.ok(handles.every((h) => h > 0));
  assert.is(openAt(imp, memory, "/data/x.bin"), -ENOMEM, "a fourth handle");
  throwsCode(() => host.grant(file), "ENOMEM");
  for (let i = 0; i < 3; i++) assert.is(imp.map(handles[0], 0n, (4 + 2 * i) * ps, ps, 0), 0);
  assert.is(imp.map(handles[0], 0n, 12 * ps, ps, 0), -ENOMEM, "a fourth mapping");
  assert.is(imp.unmap(4 * ps, ps), 0);
  assert.is(imp.map(handles[0], 0n, 12 * ps, ps, 0), 0, "room for one again");
  assert.is(imp.close(handles[2]), 0);
  assert.ok(openAt(imp, memory, "/data/x.bin") > 0, "and for a handle");
  host.close();
});

test("close() unmaps everything the guest still has mapped and closes every handle and preopen", () => {
  const fds = openFds();
  const target = track.path(writeFile(dir, "close.bin", bytes));
  const { host, imp, memory, ps } = hostWith();
  const opened = openAt(imp, memory, "/data/sub/y.bin", OpenModes.READ_WRITE);
  const granted = host.grant(target, "r+");
  assert.is(imp.map(granted, 0n, 2 * ps, 2 * ps, SHARED), 0);
  assert.is(imp.map(opened, 0n, 6 * ps, ps, 0), 0);
  const view = new Uint8Array(memory.buffer);
  view[2 * ps + 1] = 0xab;
  host.close();
  assert.is(openFds(), fds, "every descriptor closed, the preopen's too");
  assert.equal(view.subarray(2 * ps, 7 * ps), new Uint8Array(5 * ps), "zeroed memory where the mappings were");
  assert.is(readBytes(target)[1], 0xab, "the shared mapping's store reached the file");
  if (backend === "native") assert.is(mapsOf(target).length, 0);
  assert.is(imp.map(granted, 0n, 0, ps, 0), -EBADF, "the handles are gone");
  assert.is(imp.unmap(2 * ps, 2 * ps), -EINVAL, "and the mappings");
});

test("fault_cause and truncated answer for the live mapping that holds the range; a range no mapping holds whole is EINVAL", () => {
  const { host, imp, ps } = hostWith();
  const h = host.grant(file, "r");
  assert.is(imp.map(h, 0n, 4 * ps, 2 * ps, 0), 0);
  assert.is(imp.map(h, 0n, 6 * ps, 2 * ps, 0), 0);
  for (const name of /** @type {const} */ (["fault_cause", "truncated"])) {
    assert.is(imp[name](4 * ps, 2 * ps), 0, `${name}: a whole mapping`);
    assert.is(imp[name](5 * ps, ps), 0, `${name}: a page inside one`);
    assert.is(imp[name](5 * ps, 2 * ps), -EINVAL, `${name}: across two mappings`);
    assert.is(imp[name](2 * ps, ps), -EINVAL, `${name}: no mapping`);
    assert.is(imp[name](64 * 65536, ps), -ERANGE, `${name}: past the memory`);
  }
  host.close();
});

test("advise and sync act inside one mapping: across two is EINVAL; sync's async is MS_SYNC for 0 and MS_ASYNC for any other value", () => {
  const { host, imp, ps } = hostWith();
  const h = host.grant(file, "r+");
  assert.is(imp.map(h, 0n, 4 * ps, 2 * ps, SHARED), 0);
  assert.is(imp.map(h, 0n, 6 * ps, 2 * ps, SHARED), 0);
  for (const advice of Object.values(AdviceCodes)) assert.is(imp.advise(5 * ps, ps, advice), 0);
  assert.is(imp.advise(5 * ps, 2 * ps, AdviceCodes.RANDOM), -EINVAL, "advise across two mappings");
  assert.is(imp.advise(4 * ps, ps, Object.keys(AdviceCodes).length), -EINVAL, "an unknown advice");
  for (const async of [0, 1, 2, -1, 2 ** 31 - 1]) assert.is(imp.sync(4 * ps, 2 * ps, async), 0, `async ${async}`);
  assert.is(imp.sync(5 * ps, 2 * ps, 0), -EINVAL, "sync across two mappings");
  host.close();
});

test("a lent descriptor is the embedder's: close of it is EBADF and it stays open; close of a grant closes it, and its mappings stay", () => {
  const { host, imp, memory, ps } = hostWith();
  const fd = track.fd(openSync(file, "r"));
  const lent = internals(host).addHandle(fd, false);
  assert.is(imp.close(lent), -EBADF);
  assert.is(imp.map(lent, 0n, 2 * ps, ps, 0), 0, "the lent handle still maps");
  assert.ok(readFileSync(`/proc/self/fd/${fd}`).length === bytes.length, "the descriptor is still open");
  const granted = host.grant(file, "r");
  assert.is(imp.map(granted, 0n, 4 * ps, 2 * ps, 0), 0);
  const before = openFds();
  assert.is(imp.close(granted), 0);
  assert.is(openFds(), before - 1, "the grant's descriptor closed");
  assert.is(imp.close(granted), -EBADF, "closed once");
  assert.equal(new Uint8Array(memory.buffer, 4 * ps, 2 * ps), bytes.subarray(0, 2 * ps), "its mapping stays valid");
  assert.is(imp.unmap(4 * ps, 2 * ps), 0);
  host.close();
  track.close(fd);
});

realMappingTest(test, "the epoch word counts absorbed faults (a mapping's first touch past each cut), not truncations", () => {
  const path = track.path(writeFile(dir, "epoch.bin", new Uint8Array(8 * 4096).fill(7)));
  const { host, imp, memory, ps } = hostWith();
  const h = host.grant(path, "r");
  const word = 64;
  const epoch = () => new Int32Array(memory.buffer, word, 1)[0];
  assert.is(imp.watch(word), 0);
  assert.is(imp.map(h, 0n, 4 * ps, 8 * ps, 0), 0);
  assert.is(imp.map(h, 0n, 16 * ps, 8 * ps, 0), 0);
  const view = new Uint8Array(memory.buffer);
  truncateSync(path, ps);
  assert.is(epoch(), 0, "a truncation alone counts nothing");
  for (const page of [3, 5, 7, 2]) assert.is(view[4 * ps + page * ps], 0);
  assert.is(epoch(), 1, "four loads past the end of one mapping: one fault (the rest was zero-filled at once)");
  assert.is(view[16 * ps + 6 * ps], 0);
  assert.is(epoch(), 2, "the other mapping's first touch: one more");
  truncateSync(path, 0);
  assert.is(view[4 * ps], 0, "page 0, still the file's until now");
  assert.is(epoch(), 3, "a second cut into a mapping's file pages: one more");
  assert.is(imp.fault_cause(4 * ps, 8 * ps), ETRUNCATED);
  host.close();
});

realMappingTest(test, "the native helper keeps its own checks under the host's: out-of-range values called straight at it map nothing", async () => {
  const { nativeHelper } = await import("../dist/host/native.js");
  const native = nativeHelper();
  const { EINVAL: SYS_EINVAL, ERANGE: SYS_ERANGE } = osConstants.errno;
  const memory = new WebAssembly.Memory({ initial: 4 });
  const view = new Uint8Array(memory.buffer);
  const size = view.byteLength;
  const ps = native.pageSize();
  const path = track.path(writeFile(dir, "backstop.bin", bytes));
  const fd = track.fd(openSync(path, "r+"));
  /** @type {Array<[string, () => number, number]>} */
  const calls = [
    ["map past the memory", () => native.map(view, size, ps, fd, 0, 0, -1), SYS_ERANGE],
    ["map straddling the end", () => native.map(view, size - ps, 2 * ps, fd, 0, 0, -1), SYS_ERANGE],
    ["map at 2^32", () => native.map(view, 2 ** 32, ps, fd, 0, 0, -1), SYS_ERANGE],
    ["map an unaligned address", () => native.map(view, 100, ps, fd, 0, 0, -1), SYS_EINVAL],
    ["map zero bytes", () => native.map(view, 0, 0, fd, 0, 0, -1), SYS_EINVAL],
    ["map an unaligned file offset", () => native.map(view, 0, ps, fd, 1, 0, -1), SYS_EINVAL],
    ["map with READ_ONLY, which the host never passes", () => native.map(view, 0, ps, fd, 0, READ_ONLY, -1), SYS_EINVAL],
    ["map with an epoch word past the memory", () => native.map(view, 0, ps, fd, 0, 0, size), SYS_EINVAL],
    ["map with an unaligned epoch word", () => native.map(view, 0, ps, fd, 0, 0, 2), SYS_EINVAL],
    ["unmap past the memory", () => native.unmap(view, size, ps), SYS_ERANGE],
    ["sync past the memory", () => native.sync(view, size - ps, 2 * ps, false), SYS_ERANGE],
    ["advise past the memory", () => native.advise(view, size, ps, 0), SYS_ERANGE],
    ["advise an unknown advice", () => native.advise(view, 0, ps, Object.keys(AdviceCodes).length), SYS_EINVAL],
    ["truncated past the memory", () => native.truncated(view, size), SYS_EINVAL],
  ];
  for (const [label, call, errno] of calls) assert.is(call(), -errno, label);
  assert.is(mapsOf(path).length, 0, "nothing was mapped");
  track.close(fd);
  console.log(`  ${calls.length} out-of-range calls straight at the native helper: each refused, nothing mapped`);
});

test.run();
