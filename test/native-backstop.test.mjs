// @ts-check
// The native helper checks every range itself (the backstop behind MmfHost's checks): called
// directly, with the values MmfHost would have refused, it answers -EINVAL or -ERANGE, maps
// nothing and leaves the memory as it was. MmfHost never passes such values, so no other test
// reaches these checks.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openSync } from "node:fs";
import { constants } from "node:os";
import { backend, mapsOf, realMappingTest, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("native-backstop");
const track = tracked(test);

const dir = tempDir();
const { EINVAL, ERANGE } = constants.errno;
const native = backend === "native" ? (await import("../dist/host/native.js")).nativeHelper() : /** @type {never} */ (undefined); // used by native-only tests
const PS = native?.pageSize() ?? 4096;
const path = writeFile(dir, "backstop.bin", new Uint8Array(8 * PS).fill(7));

/** A Wasm memory of `pages` Wasm pages, its full view, and a descriptor of the file; cleaned up after `fn`. */
function withMemory(pages, fn) {
  const memory = new WebAssembly.Memory({ initial: pages });
  const view = new Uint8Array(memory.buffer);
  view.fill(0x5a);
  const fd = openSync(path, "r+");
  try {
    fn({ view, fd, length: view.length });
  } finally {
    track.close(fd);
  }
  // Whatever was refused left the memory as it was, and nothing of the file mapped.
  assert.ok(
    view.every((b) => b === 0x5a),
    "a refused call changed the memory",
  );
  assert.is(mapsOf(path).length, 0, "a refused call left a mapping of the file");
}

realMappingTest(test, "map refuses ranges outside the memory, unaligned or empty ranges, and offsets, flags and watch words out of range", () => {
  withMemory(2, ({ view, fd, length }) => {
    const map = (addr, len, { offset = 0, flags = 0, epoch = -1, on = view } = {}) => native.map(on, addr, len, fd, offset, flags, epoch);
    /** @type {Array<[string, number, () => number]>} */
    const cases = [
      // [what, answer, call]
      ["a range starting at the end of the memory", -ERANGE, () => map(length, PS)],
      ["a range starting past the end", -ERANGE, () => map(length + PS, PS)],
      ["a range straddling the end", -ERANGE, () => map(length - PS, 2 * PS)],
      ["a length past the end from 0", -ERANGE, () => map(0, length + PS)],
      ["a length of 2^53 (aligned, so only the range check sees it)", -ERANGE, () => map(PS, 2 ** 53)],
      ["an empty range", -EINVAL, () => map(0, 0)],
      ["an unaligned address", -EINVAL, () => map(1, PS)],
      ["an unaligned length", -EINVAL, () => map(0, PS + 1)],
      ["a negative address", -EINVAL, () => map(-PS, PS)],
      ["a fractional address", -EINVAL, () => map(0.5, PS)],
      ["an address past 2^53", -EINVAL, () => map(2 ** 54, PS)],
      ["a NaN length", -EINVAL, () => map(0, NaN)],
      ["an unaligned file offset", -EINVAL, () => map(0, PS, { offset: 1 })],
      ["a negative file offset", -EINVAL, () => map(0, PS, { offset: -PS })],
      ["flags 4 (only bits 0 and 1 exist)", -EINVAL, () => map(0, PS, { flags: 4 })],
      ["flags -1", -EINVAL, () => map(0, PS, { flags: -1 })],
      ["an unaligned watch word", -EINVAL, () => map(0, PS, { epoch: 2 })],
      ["a watch word at the end of the memory", -EINVAL, () => map(0, PS, { epoch: length })],
      ["a watch word straddling the end", -EINVAL, () => map(0, PS, { epoch: length - 2 })],
      ["a watch word past the end", -EINVAL, () => map(0, PS, { epoch: length + 4 })],
      ["a view that starts inside the memory", -EINVAL, () => map(0, PS, { on: new Uint8Array(view.buffer, PS) })],
      ["an Int32Array view", -EINVAL, () => map(0, PS, { on: new Int32Array(view.buffer) })],
      ["no view at all", -EINVAL, () => map(0, PS, { on: {} })],
    ];
    for (const [what, answer, call] of cases) assert.is(call(), answer, what);
    // In range, the same call maps: the refusals above were the checks', not the system's.
    assert.is(map(length - PS, PS, { epoch: length - 4 }), 0);
    assert.is(view[length - PS], 7);
    assert.is(native.unmap(view, length - PS, PS), 0);
    view.fill(0x5a, length - PS);
    console.log(`  ${cases.length} out-of-range map calls: each refused, nothing mapped`);
  });
});

realMappingTest(test, "unmap, sync, advise and truncated refuse ranges outside the memory or unaligned, and advice out of range", () => {
  withMemory(2, ({ view, fd, length }) => {
    // A live mapping in the middle, for the calls to find if their checks let them through.
    assert.is(native.map(view, PS, PS, fd, 0, 1, -1), 0);
    /** @type {Array<[string, number, () => number]>} */
    const cases = [];
    /** @type {Array<[string, (addr: number, len: number) => number]>} */
    const calls = [
      ["unmap", (addr, len) => native.unmap(view, addr, len)],
      ["sync", (addr, len) => native.sync(view, addr, len, false)],
      ["advise", (addr, len) => native.advise(view, addr, len, 1)],
    ];
    for (const [name, call] of calls) {
      cases.push(
        [`${name}: a range past the end`, -ERANGE, () => call(length, PS)],
        [`${name}: a range straddling the end`, -ERANGE, () => call(length - PS, 2 * PS)],
        [`${name}: an empty range`, -EINVAL, () => call(PS, 0)],
        [`${name}: an unaligned address`, -EINVAL, () => call(PS + 1, PS)],
        [`${name}: an unaligned length`, -EINVAL, () => call(PS, PS - 1)],
        [`${name}: a negative address`, -EINVAL, () => call(-PS, PS)],
      );
    }
    cases.push(
      ["advise 5 (there are five kinds, 0 to 4)", -EINVAL, () => native.advise(view, PS, PS, 5)],
      ["advise -1", -EINVAL, () => native.advise(view, PS, PS, -1)],
      // @ts-expect-error: not a boolean, on purpose
      ["sync with a non-boolean async", -EINVAL, () => native.sync(view, PS, PS, 1)],
      ["truncated at the end of the memory", -EINVAL, () => native.truncated(view, length)],
      ["truncated past the end", -EINVAL, () => native.truncated(view, length + PS)],
      ["truncated at a negative address", -EINVAL, () => native.truncated(view, -PS)],
    );
    for (const [what, answer, call] of cases) assert.is(call(), answer, what);
    assert.is(view[PS], 7, "the live mapping is still there");
    assert.is(native.truncated(view, PS), 0);
    assert.is(native.unmap(view, PS, PS), 0);
    view.fill(0x5a, PS, 2 * PS);
    console.log(`  ${cases.length} out-of-range unmap, sync, advise and truncated calls: each refused`);
  });
});

realMappingTest(test, "truncated never answers for a mapping of another memory at the same distance past its own", () => {
  const a = new Uint8Array(new WebAssembly.Memory({ initial: 2 }).buffer);
  const b = new Uint8Array(new WebAssembly.Memory({ initial: 2 }).buffer);
  // The lower memory asks about an address past its end, where the higher one has a mapping.
  const [low, high] = native.memoryBase(a) < native.memoryBase(b) ? [a, b] : [b, a];
  const distance = Number(BigInt(native.memoryBase(high)) - BigInt(native.memoryBase(low))) + PS;
  const fd = track.fd(openSync(path, "r"));
  try {
    assert.is(native.map(high, PS, PS, fd, 0, 0, -1), 0);
    assert.is(native.truncated(high, PS), 0, "the mapping itself answers");
    assert.is(native.truncated(low, distance), -EINVAL, "an address past the memory answered for another memory's mapping");
    assert.is(native.unmap(high, PS, PS), 0);
  } finally {
    track.close(fd);
  }
});

realMappingTest(test, "openBeneath refuses modes out of range and paths it cannot take whole", () => {
  const dirfd = native.openDirectory(dir);
  try {
    for (const mode of [3, -1, 0.5, 2 ** 31]) assert.is(native.openBeneath(dirfd, "backstop.bin", mode), -EINVAL, `mode ${mode}`);
    for (const bad of ["", "backstop.bin\0x", "a/".repeat(3000)]) assert.is(native.openBeneath(dirfd, bad, 0), -EINVAL, `path of ${bad.length} characters`);
    const fd = native.openBeneath(dirfd, "backstop.bin", 0);
    assert.ok(fd > 0, `the same open in range: ${fd}`);
    track.close(fd);
  } finally {
    native.closeFd(dirfd);
  }
});

test.run();
