// @ts-check
// Hostile input to the JavaScript API (issue 5, point 5): fast-check call sequences — open, map
// with random modes, offsets and sizes (valid or not), read, write, seek, flush, close, use after
// close — against a plain in-memory model of each file. Zero mismatches, zero crashes.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import {
  createMmf,
  openFile,
  MemoryRegionReader,
  MemoryRegionWriter,
  MEM_READ_ONLY,
  MEM_READ_PRIVATE,
  MEM_READWRITE,
  MEM_COPY_ON_WRITE,
} from "../dist/host/index.js";
import { backend, openFds, pattern, readBytes, tempDir, writeFile } from "./helpers.mjs";

const test = suite("sequences");

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const mmf = createMmf();
const MODES = /** @type {import("../dist/host/index.js").RegionMode[]} */ ([MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE]);
const WRITABLE = new Set([MEM_READWRITE, MEM_COPY_ON_WRITE]);

const number = fc.oneof(fc.integer({ min: -5, max: 14_000 }), fc.constantFrom(0, 4095, 4096, 0.5, -1, NaN, Infinity, 2 ** 53, 2n ** 64n, 7n));
const commands = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("map"),
        fileSize: fc.integer({ min: 0, max: 13_000 }),
        flags: fc.constantFrom("r", "r+"),
        mode: fc.oneof(fc.constantFrom(...MODES), fc.constantFrom(0, 3, 16, -1)),
        offset: number,
        size: number,
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ op: fc.constantFrom("readAt", "writeAt"), r: fc.nat(), off: number, len: fc.integer({ min: 0, max: 6000 }), seed: fc.nat() }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom("read", "write"), r: fc.nat(), len: fc.integer({ min: 0, max: 6000 }), seed: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("seek"), r: fc.nat(), off: fc.integer({ min: -9000, max: 9000 }), whence: fc.integer({ min: -1, max: 3 }) }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("flush", "close", "data", "closeFile"), r: fc.nat() }) },
  ),
  { maxLength: 40 },
);

const outcome = (fn) => {
  try {
    return { value: fn() };
  } catch (err) {
    if (err?.name !== "MmfError") throw err; // anything else is a crash of the API
    return { code: err.code };
  }
};

/** What newMemoryRegion must answer, in the order the checks run. */
function expectedMap(c) {
  if (!MODES.includes(c.mode)) return { code: "EINVAL" };
  const isInt = (v) => typeof v === "bigint" || Number.isSafeInteger(v);
  if (!isInt(c.offset) || !isInt(c.size)) return { code: "EINVAL" };
  const offset = Number(c.offset); // a bigint past 2^63 becomes a huge number: past any file
  const size = Number(c.size);
  if (offset < 0 || size < 0) return { code: "EINVAL" };
  if (offset > c.fileSize || (size !== 0 && size > c.fileSize - offset)) return { code: "ERANGE" };
  const effective = size === 0 ? c.fileSize - offset : size;
  if (c.mode === MEM_READWRITE && c.flags === "r" && effective > 0) return { code: "EACCES" };
  return { value: { offset, size: effective } };
}

let sequences = 0;
let calls = 0;
test("random call sequences match an in-memory model of the files", () => {
  const fds = openFds();
  fc.assert(
    fc.property(commands, (cmds) => {
      const regions = []; // { region, reader, writer, mode, offset, size, model, fileModel, path, file, pos, wpos, closed }
      const files = [];
      try {
        for (const c of /** @type {any[]} */ (cmds)) {
          // a union of command shapes, told apart by c.op
          calls++;
          if (c.op === "map") {
            const initial = pattern(c.fileSize, c.fileSize + 1);
            const path = writeFile(dir, `seq-${files.length}.bin`, initial);
            const file = openFile(path, c.flags);
            files.push({ path, file, model: initial.slice() });
            const want = expectedMap(c);
            const got = outcome(() => mmf.newMemoryRegion(file, c.mode, c.offset, c.size));
            if (want.code) {
              assert.equal(
                { code: got.code },
                want,
                JSON.stringify(c, (_, v) => (typeof v === "bigint" ? `${v}n` : v)),
              );
              continue;
            }
            assert.ok(got.value, `map failed: ${got.code}`);
            const { offset, size } = /** @type {{ offset: number, size: number }} */ (want.value);
            regions.push({
              region: got.value,
              reader: new MemoryRegionReader(got.value),
              writer: new MemoryRegionWriter(got.value),
              mode: c.mode,
              offset,
              size,
              model: initial.slice(offset, offset + size),
              file: files[files.length - 1],
              pos: 0,
              wpos: 0,
              closed: false,
            });
            continue;
          }
          if (regions.length === 0) continue;
          const r = regions[c.r % regions.length];
          const closed = (fn) => assert.equal(outcome(fn), { code: "ECLOSED" });
          const span = (off, len) => (off >= r.size ? 0 : Math.min(len, r.size - off));
          // The model's offset: a bigint as a number, a negative bigint as -1 (refused either way).
          const asNumber = (off) => (typeof off === "bigint" ? (off < 0n ? -1 : Number(off)) : off);
          switch (c.op) {
            case "readAt":
            case "read": {
              const p = new Uint8Array(c.len);
              const off = c.op === "read" ? r.pos : c.off;
              const call = () => (c.op === "read" ? r.reader.read(p) : r.reader.readAt(p, off));
              if (r.closed) {
                closed(call);
                break;
              }
              const got = outcome(call);
              const n = asNumber(off);
              if (!(n >= 0) || !Number.isInteger(n)) {
                assert.equal(got, { code: "EINVAL" });
                break;
              }
              const count = span(n, c.len);
              assert.equal(got, { value: count });
              assert.equal(p.subarray(0, count), r.model.subarray(n, n + count));
              if (c.op === "read") r.pos += count;
              break;
            }
            case "writeAt":
            case "write": {
              const p = pattern(c.len, c.seed);
              const off = c.op === "write" ? r.wpos : c.off;
              const call = () => (c.op === "write" ? r.writer.write(p) : r.writer.writeAt(p, off));
              if (r.closed) {
                closed(call);
                break;
              }
              const got = outcome(call);
              if (!WRITABLE.has(r.mode)) {
                assert.equal(got, { code: "EACCES" });
                break;
              }
              const n = asNumber(off);
              if (!(n >= 0) || !Number.isInteger(n)) {
                assert.equal(got, { code: "EINVAL" });
                break;
              }
              const count = span(n, c.len);
              assert.equal(got, { value: count });
              if (count > 0) {
                r.model.set(p.subarray(0, count), n);
                if (r.mode === MEM_READWRITE) r.file.model.set(p.subarray(0, count), r.offset + n);
              }
              if (c.op === "write") r.wpos += count;
              break;
            }
            case "seek": {
              const call = () => r.reader.seek(c.off, c.whence);
              if (r.closed) {
                closed(call);
                break;
              }
              const base = [0, r.pos, r.size][c.whence];
              const got = outcome(call);
              if (base === undefined || base + c.off < 0) assert.equal(got, { code: "EINVAL" });
              else {
                assert.equal(got, { value: base + c.off });
                r.pos = base + c.off;
              }
              break;
            }
            case "flush":
              if (r.closed) closed(() => r.region.flush());
              else
                assert.equal(
                  outcome(() => r.region.flush(c.r % 2 === 0)),
                  { value: undefined },
                );
              break;
            case "close":
              r.region.close();
              r.closed = true;
              assert.is(r.region.size(), 0);
              break;
            case "data":
              if (r.closed) closed(() => r.region.data());
              else assert.equal(r.region.data(), r.model);
              break;
            case "closeFile":
              r.file.file.close(); // regions stay valid
              break;
          }
        }
        for (const r of regions) r.region.close();
        for (const f of files) {
          f.file.close();
          assert.equal(readBytes(f.path), f.model);
        }
        assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
        sequences++;
      } finally {
        // A failed run must not leave regions that fail the next one.
        for (const r of regions) r.region.close();
        for (const f of files) f.file.close();
      }
    }),
    { numRuns: LONG ? 3000 : 250 },
  );
  console.log(`  [${backend}] ${sequences} sequences, ${calls} calls, zero mismatches; fds ${fds} -> ${openFds()}`);
  assert.is(openFds(), fds);
});

test.run();
