// @ts-check
// memory.grow with live regions of every mode: V8 re-protects the whole memory read-write on
// every grow. Nothing may abort, and a raw write into a read-only region must not reach the file.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createMmf, openFile, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE } from "../dist/host/index.js";
import { pattern, readBytes, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("grow");
const track = tracked(test);

const dir = tempDir();
const bytes = pattern(100_000, 3);

for (const access of ["r", "r+"]) {
  test(`grow with live regions of every mode on a "${access}" descriptor`, () => {
    const path = writeFile(dir, `grow-${access}.bin`, bytes);
    const file = openFile(path, /** @type {"r" | "r+"} */ (access));
    const mmf = createMmf();
    const modes = /** @type {import("../dist/host/index.js").RegionMode[]} */ (
      access === "r" ? [MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_COPY_ON_WRITE] : [MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE]
    );
    const regions = modes.map((mode, i) => /** @type {const} */ ([mode, mmf.newMemoryRegion(file, mode, 1000 * (i + 1), 10_000)]));
    for (let i = 0; i < 5; i++) mmf.memory.grow(16);
    // Raw writes from JavaScript, as memory.copy from Wasm would do, into every region.
    for (const [, region] of regions) region.data().fill(0xee, 0, 16);
    mmf.memory.grow(1);
    for (const [, region] of regions) region.flush();
    const disk = readBytes(path);
    for (const [mode, region] of regions) {
      const at = region.data().byteOffset;
      assert.ok(at > 0);
      const start = 1000 * (modes.indexOf(mode) + 1);
      if (mode === MEM_READWRITE) assert.equal(disk.subarray(start, start + 16), new Uint8Array(16).fill(0xee));
      else assert.equal(disk.subarray(start, start + 16), bytes.subarray(start, start + 16), `mode ${mode} leaked to the file`);
      assert.equal(region.data().subarray(0, 16), new Uint8Array(16).fill(0xee), "the writer sees its own write");
      region.close();
    }
    // Regions mapped after the grows still work.
    const again = mmf.newMemoryRegion(file, MEM_READ_ONLY, 0, 0);
    assert.is(again.data()[99_999], readBytes(path)[99_999]);
    again.close();
    file.close();
  });
}

test("a read-only file stays unchanged when every private mode is written raw and memory grows", () => {
  const path = track.path(writeFile(dir, "ro.bin", bytes));
  const file = track(openFile(path, "r"));
  const mmf = track(createMmf());
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  region.data().fill(1);
  mmf.memory.grow(100);
  region.data().fill(2);
  region.close();
  file.close();
  assert.equal(readBytes(path), bytes);
});

test.run();
