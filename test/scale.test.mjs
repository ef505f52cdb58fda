// @ts-check
// Scale: a 2 GiB region, and a 1 GiB mapping that copies nothing.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createMmf, openFile, MemoryRegionReader, MEM_READ_ONLY } from "../dist/host/index.js";
import { longOnEmulatedTest, realMappingTest, rss, sparseFile, tempDir, tracked } from "./helpers.mjs";

const test = suite("scale");
const track = tracked(test);

const dir = tempDir();
const GiB = 2 ** 30;

longOnEmulatedTest(test, "one region of 2 GiB maps and reads its last byte", () => {
  const path = track.path(sparseFile(dir, "2g.bin", 2 * GiB, { [2 * GiB - 1]: new Uint8Array([0x7b]) }));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 0));
  assert.is(region.size(), 2 * GiB);
  assert.is(region.data()[2 * GiB - 1], 0x7b);
  const p = new Uint8Array(4);
  assert.is(new MemoryRegionReader(region).readAt(p, 2 * GiB - 2), 2);
  assert.equal(p.subarray(0, 2), new Uint8Array([0, 0x7b]));
  region.close();
  file.close();
});

realMappingTest(test, "mapping a 1 GiB file and reading one byte grows RSS by well under 16 MiB", () => {
  const path = track.path(sparseFile(dir, "1g.bin", GiB, { [GiB / 2]: new Uint8Array([9]) }));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 4096).close(); // instance warm-up
  const before = rss();
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 0));
  assert.is(region.data()[GiB / 2], 9);
  const grew = rss() - before;
  console.log(`  RSS after mapping 1 GiB and reading a byte: +${(grew / 2 ** 20).toFixed(2)} MiB`);
  assert.ok(grew < 4 * 2 ** 20, `RSS grew by ${grew}`);
  region.close();
  file.close();
});

test.run();
