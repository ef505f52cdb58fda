// @ts-check
// Property tests: readers, writers and seek against a plain in-memory model of the file, over
// random modes, offsets, sizes and operation sequences.
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
import { pattern, readBytes, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("properties");
const track = tracked(test);

const dir = tempDir();
const FILE_SIZE = 3 * 4096 + 123;
const mmf = createMmf();
const WRITABLE = new Set([MEM_READWRITE, MEM_COPY_ON_WRITE]);

const offsetArb = fc.oneof(fc.integer({ min: -3, max: 9000 }), fc.constantFrom(0, 4095, 4096));
const op = fc.oneof(
  fc.record({ kind: fc.constant("readAt"), off: offsetArb, len: fc.integer({ min: 0, max: 5000 }) }),
  fc.record({ kind: fc.constant("writeAt"), off: offsetArb, len: fc.integer({ min: 0, max: 5000 }), seed: fc.nat() }),
  fc.record({ kind: fc.constant("read"), len: fc.integer({ min: 0, max: 5000 }) }),
  fc.record({ kind: fc.constant("write"), len: fc.integer({ min: 0, max: 5000 }), seed: fc.nat() }),
  fc.record({ kind: fc.constant("seek"), off: fc.integer({ min: -9000, max: 9000 }), whence: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant("flush") }),
);

/** The result an operation should have on the model, mirroring Go's semantics. */
function expectCode(fn) {
  try {
    return { value: fn() };
  } catch (err) {
    if (err?.name !== "MmfError") throw err;
    return { code: err.code };
  }
}

let runs = 0;
test("readAt/writeAt/read/write/seek match an in-memory model", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE),
      fc.integer({ min: 0, max: FILE_SIZE }),
      fc.integer({ min: 0, max: FILE_SIZE }),
      fc.array(op, { maxLength: 25 }),
      (mode, offset, rawSize, ops) => {
        const requested = Math.min(rawSize, FILE_SIZE - offset);
        const size = requested === 0 ? FILE_SIZE - offset : requested; // 0 = the rest of the file
        const initial = pattern(FILE_SIZE, offset + requested);
        const path = writeFile(dir, "prop.bin", initial);
        const fileModel = initial.slice();
        const file = openFile(path, "r+");
        const region = mmf.newMemoryRegion(file, mode, offset, requested);
        const model = initial.slice(offset, offset + size); // what data() should hold
        const reader = new MemoryRegionReader(region);
        const writer = new MemoryRegionWriter(region);
        let readPos = 0;
        let writePos = 0;
        const span = (off, len) => (off >= size ? 0 : Math.min(len, size - off));
        for (const o of ops) {
          if (o.kind === "readAt" || o.kind === "read") {
            const off = o.kind === "read" ? readPos : o.off;
            const p = new Uint8Array(o.len);
            const got = expectCode(() => (o.kind === "read" ? reader.read(p) : reader.readAt(p, off)));
            if (off < 0) assert.equal(got, { code: "EINVAL" });
            else {
              const n = span(off, o.len);
              assert.equal(got, { value: n });
              assert.equal(p.subarray(0, n), model.subarray(off, off + n));
              if (o.kind === "read") readPos += n;
            }
          } else if (o.kind === "writeAt" || o.kind === "write") {
            const off = o.kind === "write" ? writePos : o.off;
            const p = pattern(o.len, o.seed);
            const got = expectCode(() => (o.kind === "write" ? writer.write(p) : writer.writeAt(p, off)));
            if (!WRITABLE.has(mode)) assert.equal(got, { code: "EACCES" });
            else if (off < 0) assert.equal(got, { code: "EINVAL" });
            else {
              const n = span(off, o.len);
              assert.equal(got, { value: n });
              if (n > 0) model.set(p.subarray(0, n), off);
              if (n > 0 && mode === MEM_READWRITE) fileModel.set(p.subarray(0, n), offset + off);
              if (o.kind === "write") writePos += n;
            }
          } else if (o.kind === "seek") {
            const base = o.whence === 0 ? 0 : o.whence === 1 ? readPos : size;
            const got = expectCode(() => reader.seek(o.off, o.whence));
            if (o.whence > 2 || base + o.off < 0) assert.equal(got, { code: "EINVAL" });
            else {
              assert.equal(got, { value: base + o.off });
              readPos = base + o.off;
            }
          } else {
            region.flush();
          }
        }
        assert.equal(region.data(), model);
        region.flush();
        assert.equal(readBytes(path), fileModel);
        region.close();
        file.close();
        assert.equal(readBytes(path), fileModel, "after close");
        runs++;
      },
    ),
    { numRuns: 300 },
  );
  console.log(`  ${runs} random sequences, ${JSON.stringify(mmf.stats())} left`);
  assert.is(mmf.stats().regions, 0);
});

test("random map/close sequences: live regions never overlap and closed memory is reused", () => {
  const big = pattern(2 * 1024 * 1024, 11);
  const path = track.path(writeFile(dir, "alloc.bin", big));
  const file = track(openFile(path, "r"));
  const own = track(createMmf());
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.record({ open: fc.integer({ min: 0, max: big.length - 1 }), size: fc.integer({ min: 1, max: 300_000 }) }), fc.record({ close: fc.nat() })),
        { maxLength: 60 },
      ),
      (steps) => {
        /** @type {Array<[number, import("../dist/host/index.js").MemoryRegion]>} */
        const live = [];
        for (const step of steps) {
          if ("open" in step) {
            const size = Math.min(step.size, big.length - step.open);
            live.push([step.open, own.newMemoryRegion(file, MEM_READ_ONLY, step.open, size)]);
          } else if (live.length > 0) {
            live.splice(step.close % live.length, 1)[0][1].close();
          }
          for (const [off, region] of live) {
            const d = region.data();
            // First, middle and last bytes: an overlapping mapping would show other bytes.
            for (const i of [0, d.length >> 1, d.length - 1]) assert.is(d[i], big[off + i]);
          }
        }
        for (const [, region] of live) region.close();
        assert.is(own.stats().regions, 0);
      },
    ),
    { numRuns: 200 },
  );
  const grown = own.memory.buffer.byteLength;
  console.log(`  allocator: memory ${grown / 2 ** 20} MiB after 200 random sequences`);
  assert.ok(grown < 64 * 2 ** 20, "freed ranges are reused rather than the memory growing");
  file.close();
});

test.run();
