// @ts-check
// Guests' readers and writers keep a view of their region from one call to the next (issue 14:
// readAt as cheap as the loads it wraps). The view must never outlive what it describes: a close
// (of its region, or of another one whose record and pages the next region reuses), a fault, a
// writer on a region it may not write. Every case uses the same reader or writer again.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { truncateSync } from "node:fs";
import { loadGuest, pattern, readBytes, realMappingTest, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("readers");
const track = tracked(test);

const dir = tempDir();
const PAGE = 4096;
const EINVAL = 1,
  EACCES = 3,
  ECLOSED = 5,
  ETRUNCATED = 8;
const MEM_READ_ONLY = 0x1,
  MEM_READWRITE = 0x4,
  MEM_COPY_ON_WRITE = 0x8;

async function guest() {
  const g = await loadGuest("cursors");
  return { ...g, grant: (/** @type {string} */ path, /** @type {"r" | "r+"} */ flags = "r+") => g.host.grant(path, flags) };
}

test("every length from 0 to 130 at offsets across a region, and buffers that overlap the bytes they copy", async () => {
  const path = track.path(writeFile(dir, "sweep.bin", pattern(5 * PAGE + 123, 3)));
  const g = track(await guest());
  const index = g.call("hold", g.grant(path), MEM_COPY_ON_WRITE, 7n, 0n);
  assert.ok(index >= 0, `hold: ${index}`);
  assert.is(g.call("sweep", index), 0);
  assert.equal(readBytes(path), pattern(5 * PAGE + 123, 3), "copy-on-write: the file is untouched");
  g.host.close();
});

test("a reader goes on reading its region when another region closes, and gets ECLOSED once its own does", async () => {
  const a = track.path(writeFile(dir, "a.bin", pattern(4 * PAGE, 5)));
  const b = track.path(writeFile(dir, "b.bin", pattern(4 * PAGE, 6)));
  const c = track.path(writeFile(dir, "c.bin", pattern(4 * PAGE, 7)));
  const g = track(await guest());
  const ra = g.call("hold", g.grant(a), MEM_READ_ONLY, 0n, 0n);
  const rb = g.call("hold", g.grant(b), MEM_READ_ONLY, 0n, 0n);
  assert.is(g.call("readAt", ra, 100n, 64), 64);
  assert.is(g.call("readAt", ra, 100n, 64), 64, "again, from the cached view");
  assert.is(g.call("closeRegion", rb), 0);
  assert.is(g.call("readAt", ra, 200n, 64), 64, "another region closed: the view is checked again, and holds");
  assert.is(g.call("closeRegion", ra), 0);
  // A new region takes the record (and the pages) a had: a's reader must not read it.
  const rc = g.call("hold", g.grant(c), MEM_READ_ONLY, 0n, 0n);
  assert.is(g.call("readAt", ra, 100n, 64), -ECLOSED);
  assert.is(g.call("writeAt", ra, 100n, 64, 1), -ECLOSED);
  assert.is(g.call("readAt", rc, 100n, 64), 64);
  assert.is(g.call("regionByte", rc, 100n), pattern(4 * PAGE, 7)[100]);
  g.host.close();
});

realMappingTest(test, "a reader whose view is cached reports a truncation that comes after, during the copy and after it", async () => {
  const path = track.path(writeFile(dir, "shrinks.bin", pattern(8 * PAGE, 9)));
  const g = track(await guest());
  const index = g.call("hold", g.grant(path), MEM_READ_ONLY, 0n, 0n);
  assert.is(g.call("readAt", index, BigInt(5 * PAGE), 64), 64);
  assert.is(g.call("readAt", index, BigInt(5 * PAGE), 64), 64);
  truncateSync(path, PAGE);
  // The page faults during this copy (the guard absorbs it): the read reports it.
  assert.is(g.call("readAt", index, BigInt(5 * PAGE), 64), -ETRUNCATED);
  assert.is(g.call("readAt", index, 0n, 64), -ETRUNCATED, "and every read after it");
  assert.is(g.call("writeAt", index, 0n, 8, 1), -ETRUNCATED);
  assert.is(g.call("regionCheck", index), -ETRUNCATED);
  g.host.close();
});

realMappingTest(test, "a fault a plain load took before the read: the reader's next read reports it, from a page still in the file too", async () => {
  const path = track.path(writeFile(dir, "loaded.bin", pattern(8 * PAGE, 10)));
  const g = track(await guest());
  const index = g.call("hold", g.grant(path), MEM_READ_ONLY, 0n, 0n);
  assert.is(g.call("readAt", index, 0n, 64), 64);
  truncateSync(path, PAGE);
  assert.is(g.call("regionByte", index, BigInt(5 * PAGE)), 0, "the load past the new end reads zero (the guard absorbed its fault)");
  assert.is(g.call("readAt", index, 0n, 64), -ETRUNCATED, "the next read sees the fault the load took");
  assert.is(g.call("writeAt", index, 0n, 8, 1), -ETRUNCATED);
});

test("a writer of a read-only region is refused every time (it never caches it); a writable one's bytes reach the file", async () => {
  const path = track.path(writeFile(dir, "writes.bin", pattern(2 * PAGE, 11)));
  const g = track(await guest());
  const ro = g.call("hold", g.grant(path), MEM_READ_ONLY, 0n, 0n);
  const rw = g.call("hold", g.grant(path), MEM_READWRITE, 0n, 0n);
  assert.is(g.call("readAt", ro, 0n, 16), 16, "a read caches the reader's view, not the writer's");
  for (let i = 0; i < 3; i++) assert.is(g.call("writeAt", ro, 0n, 16, 0xaa), -EACCES);
  for (let i = 0; i < 3; i++) assert.is(g.call("writeAt", rw, BigInt(100 + i * 16), 16, 0x50 + i), 16);
  assert.is(g.call("writeAt", rw, BigInt(2 * PAGE - 4), 16, 0x77), 4, "what fits at the end");
  assert.is(g.call("writeAt", rw, -1n, 16, 0x77), -EINVAL);
  assert.is(g.call("readAt", rw, BigInt(2 * PAGE), 16), 0, "at the end");
  g.host.close();
  const bytes = readBytes(path);
  assert.equal([...bytes.subarray(100, 148)], [...new Uint8Array(16).fill(0x50), ...new Uint8Array(16).fill(0x51), ...new Uint8Array(16).fill(0x52)]);
  assert.equal([...bytes.subarray(2 * PAGE - 4)], [0x77, 0x77, 0x77, 0x77]);
});

test.run();
