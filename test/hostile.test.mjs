// @ts-check
// The guest is untrusted: 30,000+ calls (200,000+ in the long run) of the raw `mmf` imports with random and adversarial
// arguments, as a hostile Wasm module could make them (i32 and i64 values only). Zero crashes,
// every call answers a documented code, and nothing is left behind.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, openSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCodes, MapFlags, MmfHost } from "../dist/host/index.js";
import { backend, mapsOf, openFds, pattern, tempDir, writeFile, tracked } from "./helpers.mjs";
import { internals } from "./internals.mjs";

const test = suite("hostile");
const track = tracked(test);

const dir = tempDir();
const data = join(dir, "data");
mkdirSync(join(data, "sub"), { recursive: true });
const secret = writeFile(dir, "secret.bin", pattern(9000, 2));
const bytes = pattern(3 * 65536 + 77, 5);
writeFile(data, "file.bin", bytes);
writeFile(data, "empty.bin", new Uint8Array(0));
symlinkSync(secret, join(data, "link-out.bin"));
symlinkSync(dir, join(data, "dir-out"));
symlinkSync("/proc/self/mem", join(data, "mem"));

// Every answer an import may give: 0, or a negated code of the table.
/** @type {Map<number, string>} */
const CODES = new Map([[0, "OK"], ...Object.entries(ErrorCodes).map(([name, code]) => /** @type {[number, string]} */ ([-code, name]))]);
const { EINVAL, ERANGE, EBADF, EIO, ETRUNCATED, ENOSPC } = ErrorCodes;

let seed = 0x2545f491;
function rand() {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed;
}
const pick = (list) => list[rand() % list.length];

const PATHS = [
  "/data/file.bin",
  "/data/empty.bin",
  "/data/sub/../file.bin",
  "/data/../secret.bin",
  "/data/sub/../../secret.bin",
  "/data/link-out.bin",
  "/data/dir-out/secret.bin",
  "/data/mem",
  "/proc/self/mem",
  secret,
  "/data",
  "/data/",
  "/data/missing",
  "/data//file.bin",
  "data/file.bin",
  "/data/file.bin\0/../../secret.bin",
  "/data/" + "a/".repeat(3000),
];

function runHostile(memory, calls, foreignHandle) {
  const host = new MmfHost({ preopens: { "/data": data }, maxHandles: 64 });
  host.attach(memory);
  /** @type {any} */
  const imp = host.imports; // called with values of any type, on purpose: untyped here
  const ps = host.pageSize;
  const handles = [foreignHandle, 0, -1, 2 ** 31 - 1, 12345];
  /** @type {Array<[number, number, bigint]>} */
  const live = [];
  /** @type {number[]} */
  const open = []; // handles open now
  const counts = {};
  let checkedBytes = 0;

  const i32 = () =>
    pick([
      0,
      -1,
      1,
      -(2 ** 31),
      2 ** 31 - 1,
      ps,
      ps - 1,
      ps + 1,
      65536,
      rand() | 0,
      (rand() % 64) * ps,
      memory.buffer.byteLength - ps,
      memory.buffer.byteLength,
      (memory.buffer.byteLength + ps) | 0,
      rand() % 4096,
    ]) | 0;
  const addr = () => (live.length && rand() % 3 === 0 ? pick(live)[0] + pick([0, ps, -ps, 1]) : i32()) | 0;
  const len = () => pick([ps, 2 * ps, 4 * ps, 0, -ps, 1, i32(), 16 * ps, 65536]) | 0;
  const i64 = () =>
    BigInt.asIntN(64, pick([0n, BigInt(ps), -1n, 1n, BigInt(ps * 48), BigInt(ps) * 1000000n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(rand()) * BigInt(ps)]));
  const handle = () => (rand() % 4 === 0 ? pick(handles) : handles.length > 5 ? handles[5 + (rand() % (handles.length - 5))] : 1) | 0;

  function writePath(path) {
    const raw = rand() % 10 === 0 ? new Uint8Array([0xff, 0xfe, 0x2f, 0x00]) : new TextEncoder().encode(path);
    const at = 1024 + (rand() % 4096);
    if (at + raw.length <= memory.buffer.byteLength) new Uint8Array(memory.buffer).set(raw, at);
    return [at, raw.length];
  }

  for (let i = 0; i < calls; i++) {
    // open(..., 2) truncates: put the file back now and then, so that maps keep succeeding.
    if (i % 1000 === 0) writeFileSync(join(data, "file.bin"), bytes);
    const op = rand() % 10;
    let result;
    let name;
    if (op === 0) {
      name = "open";
      const [at, n] = writePath(pick(PATHS));
      const args = rand() % 5 === 0 ? [i32(), i32(), i32()] : [at, n, pick([0, 1, 2, 3, -1])];
      result = imp.open(...args);
      if (result > 0) {
        handles.push(result);
        open.push(result);
      }
    } else if (op === 1) {
      name = "close";
      const h = handle();
      result = imp.close(h);
      if (result === 0) open.splice(open.indexOf(h), 1);
    } else if (op === 2) {
      name = "file_size";
      const r = imp.file_size(handle());
      assert.is(typeof r, "bigint"); // uvu's assert.type has no "bigint" in its types
      result = r >= 0n ? 0 : Number(r);
    } else if (op <= 5) {
      name = "map";
      // Half of the calls are plausible (aligned, inside the memory, inside the file), so that
      // the checks after a successful map run too; the other half are anything at all.
      const plausible = rand() % 2 === 0;
      const pages = memory.buffer.byteLength / ps;
      const [a, l, h, off, shared] = plausible
        ? [(rand() % pages) * ps, (1 + (rand() % 4)) * ps, open.length ? pick(open) : handle(), BigInt((rand() % 50) * ps), rand() % 2]
        : [addr(), len(), handle(), i64(), pick([0, 1, 2, -1])];
      result = imp.map(h, off, a, l, shared);
      if (result === 0) {
        live.push([a >>> 0, l >>> 0, off]);
        // The mapping shows the file's bytes (every granted or opened file here is file.bin or empty).
        const view = new Uint8Array(memory.buffer, a >>> 0, 16);
        const start = Number(off);
        if (start < bytes.length && imp.file_size(h) === BigInt(bytes.length)) {
          assert.equal(view.subarray(0, Math.min(16, bytes.length - start)), bytes.subarray(start, start + 16));
          checkedBytes += 16;
        }
      }
    } else if (op <= 7) {
      name = "unmap";
      const target = live.length && rand() % 2 === 0 ? live.splice(rand() % live.length, 1)[0] : null;
      const lastUnmap = target ?? [addr(), len()];
      result = imp.unmap(lastUnmap[0], lastUnmap[1]);
      if (target) assert.is(result, 0, "unmapping a live mapping succeeds");
      else if (result === 0) {
        // A random range may hit a live mapping exactly; anything else must have been refused.
        const hit = live.findIndex(([a, l]) => a === lastUnmap[0] >>> 0 && l === lastUnmap[1] >>> 0);
        assert.ok(hit >= 0, "unmapped a range that was no live mapping");
        live.splice(hit, 1);
      }
    } else if (op === 9 && rand() % 2 === 0) {
      // ABI version 3. Half of the remaps take a live mapping to a plausible range (in place or moved).
      name = pick(["lock", "unlock", "residency", "remap"]);
      const target = live.length && rand() % 2 === 0 ? live[rand() % live.length] : null;
      const pages = memory.buffer.byteLength / ps;
      if (name === "remap") {
        const [a, l] = target ?? [addr(), len()];
        const [na, nl] = target ? [pick([a, (rand() % pages) * ps]), (1 + (rand() % 4)) * ps] : [addr(), len()];
        result = imp.remap(a, l, na, nl);
        if (result === 0) {
          const hit = live.findIndex(([la, ll]) => la === a >>> 0 && ll === l >>> 0);
          assert.ok(hit >= 0, "remapped a range that was no live mapping");
          live[hit] = [na >>> 0, nl >>> 0, live[hit][2]];
        }
      } else {
        const [a, l] = target ?? [addr(), len()];
        // A page map inside a live mapping would write its bytes into the file (the guest's own
        // store, allowed), and the maps' checks compare with the file as written: only elsewhere.
        const vec = pick([0, addr()]) >>> 0;
        const intoMapping = live.some(([la, ll]) => vec < la + ll && la < vec + Math.max(0, (l >>> 0) / ps));
        result = name === "residency" ? imp.residency(a, l, intoMapping ? 0 : vec) : imp[name](a, l);
        if (name === "residency" && result > 0) result = 0; // a count of pages, a valid answer
      }
    } else if (op === 9) {
      name = pick(["watch", "truncated", "fault_cause"]);
      result = name === "watch" ? imp.watch(i32()) : imp[name](addr(), len());
      if (name === "truncated" && result === 1) result = 0; // 1 = faulted, a valid answer
      if (name === "fault_cause" && [EIO, ETRUNCATED, ENOSPC].includes(result)) result = 0; // the cause of a fault, a valid answer
    } else {
      name = rand() % 20 === 0 ? "grow" : "sync";
      if (name === "grow") {
        try {
          memory.grow(1);
        } catch {
          /* at the maximum */
        }
        result = 0;
      } else {
        result = imp.sync(addr(), len(), pick([0, 1]));
      }
    }
    if (name === "open" && result > 0) result = 0;
    const code = CODES.get(result);
    assert.ok(code !== undefined, `${name} answered ${result}, not a documented code`);
    counts[name] ??= {};
    counts[name][code] = (counts[name][code] ?? 0) + 1;
  }
  // Leave some mappings for close() to take down.
  writeFileSync(join(data, "file.bin"), bytes);
  while (open.length >= 60) imp.close(open.pop()); // room for one more handle under maxHandles
  const held = host.grant(join(data, "file.bin"), "r");
  for (let k = 0; k < 8; k++) imp.map(held, 0n, memory.buffer.byteLength - (1 + 2 * k) * ps, ps, 0);
  const mappings = host.mappingCount;
  host.close();
  return { counts, mappings, checkedBytes };
}

// 30,000 calls in npm test; MMF_RELIABILITY=1 (npm run test:reliability) makes 200,000.
const CALLS = process.env.MMF_RELIABILITY === "1" ? 100_000 : 15_000;

test(`${(2 * CALLS).toLocaleString("en")} hostile calls on an unshared and a shared memory: documented codes only, nothing left behind`, () => {
  const fds = openFds();
  const other = track(new MmfHost());
  const foreign = other.grant(join(data, "file.bin"), "r");
  const withOther = openFds();
  let total = 0;
  for (const shared of [false, true]) {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 256, shared });
    const calls = CALLS;
    const { counts, mappings, checkedBytes } = runHostile(memory, calls, foreign);
    total += calls;
    console.log(`  ${shared ? "shared" : "unshared"} memory: ${calls} calls, ${mappings} mappings live at close, ${checkedBytes} mapped bytes checked`);
    for (const [name, byCode] of Object.entries(counts))
      console.log(
        `    ${name.padEnd(9)} ${Object.entries(byCode)
          .map(([c, n]) => `${c} ${n}`)
          .join(", ")}`,
      );
    assert.is(counts.map?.EIO ?? 0, 0, "no unexpected failure");
    assert.ok(counts.map.OK > 100, "some calls got through, so the checks were exercised");
    assert.ok(counts.open.OK > 10 && counts.open.EACCES > 10);
    assert.ok(mappings > 0, "close() had mappings to take down");
    // What close() must give back: the handles' descriptors, and (real maps) the mappings.
    assert.is(openFds(), withOther, "descriptors left by the closed host");
    if (backend === "native") assert.is(mapsOf(data).length, 0, "mappings left by the closed host");
  }
  other.close();
  console.log(`  ${total} calls in all, zero crashes`);
  assert.is(openFds(), fds, "every descriptor closed");
});

test("a host never maps outside the guest's memory, over a live mapping, or past the end of the file", () => {
  writeFileSync(join(data, "file.bin"), bytes); // the hostile run may have truncated it
  const memory = new WebAssembly.Memory({ initial: 4 });
  const host = track(new MmfHost());
  host.attach(memory);
  const h = host.grant(join(data, "file.bin"), "r+");
  const ps = host.pageSize;
  const m = host.imports;
  assert.is(m.map(h, 0n, 4 * 65536, ps, 0), -ERANGE, "past the memory");
  assert.is(m.map(h, 0n, 4 * 65536 - ps, 2 * ps, 0), -ERANGE, "straddling the end of the memory");
  assert.is(m.map(h, 0n, 100, ps, 0), -EINVAL, "unaligned address");
  assert.is(m.map(h, 1n, 0, ps, 0), -EINVAL, "unaligned file offset");
  assert.is(m.map(h, 0n, 0, 0, 0), -EINVAL, "empty");
  assert.is(m.map(h, BigInt(Math.ceil(bytes.length / ps) * ps), 0, ps, 0), -ERANGE, "a whole page past the end of the file");
  assert.is(m.map(h, 0n, 0, ps, (MapFlags.SHARED | MapFlags.POPULATE | MapFlags.READ_ONLY) + 1), -EINVAL, "an unknown flag bit");
  assert.is(m.map(h, 0n, 0, ps, MapFlags.READ_ONLY | MapFlags.POPULATE), 0, "READ_ONLY is accepted (and the pages stay read-write here)");
  new Uint8Array(memory.buffer)[0] ^= 1; // V8 re-protects the memory read-write on grow: the Node host ignores the bit
  assert.is(m.unmap(0, ps), 0);
  assert.is(m.map(h, 0n, 2 * ps, 2 * ps, MapFlags.SHARED), 0);
  assert.is(m.map(h, 0n, 3 * ps, ps, 0), -EINVAL, "overlaps a live mapping");
  assert.is(m.map(h, 0n, ps, 2 * ps, 0), -EINVAL, "overlaps a live mapping from below");
  assert.is(m.unmap(2 * ps, ps), -EINVAL, "only whole mappings unmap");
  assert.is(m.sync(3 * ps, ps, 0), 0, "sync inside a mapping");
  assert.is(m.sync(3 * ps, 2 * ps, 0), -EINVAL, "sync past a mapping");
  assert.is(m.unmap(2 * ps, 2 * ps), 0);
  for (const unaligned of [1, 2, 3, 4 * 65536 - 6]) assert.is(m.watch(unaligned), -1, `a watch word at ${unaligned}: not an aligned i32`);
  assert.is(m.watch(4 * 65536 - 4), 0, "the last aligned word is");
  host.close();
  assert.is(m.map(h, 0n, 0, ps, 0), -EBADF, "after close the handle is gone");
});

test("a descriptor lent read-only (addHandle(fd, false)) never maps shared, even when it was opened read-write", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const host = track(new MmfHost());
  host.attach(memory);
  const fd = track.fd(openSync(join(data, "file.bin"), "r+"));
  try {
    const ps = host.pageSize;
    const lentReadOnly = internals(host).addHandle(fd, false);
    assert.is(host.imports.map(lentReadOnly, 0n, 0, ps, 1), -3, "EACCES: shared over a read-only loan");
    assert.is(host.imports.map(lentReadOnly, 0n, 0, ps, 0), 0, "private is fine");
    assert.is(host.imports.unmap(0, ps), 0);
    const lentWritable = internals(host).addHandle(fd, true);
    assert.is(host.imports.map(lentWritable, 0n, 0, ps, 1), 0, "the same descriptor lent writable maps shared");
    assert.is(host.imports.unmap(0, ps), 0);
  } finally {
    host.close();
    track.close(fd);
  }
});

test.run();
