// @ts-check
// Write-back writes only the bytes a region changed (issue 9, point 9): another writer's bytes in
// the same 4 KiB page survive a flush or close. The emulated backend is the one that copies;
// native passes through the page cache and must give the same file. MMF_RELIABILITY=1 runs more
// random rounds.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openSync, writeSync } from "node:fs";
import { createMmf, openFile, MEM_READWRITE } from "../dist/host/index.js";
import { backend, pattern, readBytes, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("write-back");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const SIZE = 3 * 4096 + 100;

test("another writer's bytes in the same page survive flush and close", () => {
  const initial = pattern(SIZE, 21);
  const path = track.path(writeFile(dir, "same-page.bin", initial));
  const file = track(openFile(path, "r+"));
  const region = createMmf().newMemoryRegion(file, MEM_READWRITE, 0, 0);
  const other = track.fd(openSync(path, "r+"));
  const model = initial.slice();
  const change = (target, at, bytes) => {
    if (target === "region") region.data().set(bytes, at);
    else writeSync(other, bytes, 0, bytes.length, at);
    model.set(bytes, at);
  };
  // The region and the other writer change neighbouring bytes of the same pages, and the tail
  // page past 3 * 4096.
  change("region", 10, new Uint8Array(10).fill(0xaa));
  change("other", 20, new Uint8Array(3).fill(0xcc)); // right after the region's run
  change("other", 7, new Uint8Array(3).fill(0xcd)); // right before it
  change("region", 4096 + 2000, new Uint8Array(1).fill(0xab));
  change("other", 4096 + 2001, new Uint8Array(1).fill(0xce));
  change("other", 3 * 4096 + 50, new Uint8Array(10).fill(0xcf));
  change("region", 3 * 4096 + 40, new Uint8Array(10).fill(0xac));
  region.flush();
  assert.equal(readBytes(path), model, "after flush");
  change("other", 30, new Uint8Array(4).fill(0xd0));
  change("region", 34, new Uint8Array(4).fill(0xad));
  region.close();
  assert.equal(readBytes(path), model, "after close");
  track.close(other);
  file.close();
});

test(`random runs from the region and another writer, interleaved in the same pages (${LONG ? 2000 : 100} rounds)`, () => {
  const rounds = LONG ? 2000 : 100;
  const initial = pattern(SIZE, 22);
  const path = track.path(writeFile(dir, "random.bin", initial));
  const file = track(openFile(path, "r+"));
  const mmf = track(createMmf());
  const other = track.fd(openSync(path, "r+"));
  const model = initial.slice();
  let seed = 0x9e3779b9;
  const random = (n) => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed % n;
  };
  let regionBytes = 0;
  let otherBytes = 0;
  let region = track(mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0));
  for (let round = 0; round < rounds; round++) {
    // Each byte has one owner this round, so the expected file is well defined.
    const owner = new Uint8Array(SIZE);
    for (let k = 0; k < 1 + random(12); k++) {
      const at = random(SIZE);
      const len = 1 + random(Math.min(300, SIZE - at));
      const who = 1 + random(2);
      if (owner.subarray(at, at + len).some((o) => o !== 0)) continue;
      owner.fill(who, at, at + len);
      // Every byte differs from what is there, so that each change is visible.
      const bytes = pattern(len, round * 31 + k + 1).map((b, i) => (b === model[at + i] ? b ^ 1 : b));
      if (who === 1) {
        region.data().set(bytes, at);
        regionBytes += len;
      } else {
        writeSync(other, bytes, 0, len, at);
        otherBytes += len;
      }
      model.set(bytes, at);
    }
    if (random(4) === 0) {
      region.close();
      region = mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0);
    } else {
      region.flush(random(2) === 0);
    }
    // The region sees the other writer's bytes only through the file (emulated: after a new map).
    const disk = readBytes(path);
    if (Buffer.compare(disk, model) !== 0) {
      const first = disk.findIndex((b, i) => b !== model[i]);
      assert.unreachable(`round ${round}: byte ${first} is ${disk[first]}, expected ${model[first]} (owner ${owner[first]})`);
    }
    if (backend === "emulated") {
      // Re-map so the next round's region starts from the file as it is now.
      region.close();
      region = mmf.newMemoryRegion(file, MEM_READWRITE, 0, 0);
    }
  }
  region.close();
  console.log(
    `  [${backend}] ${rounds} rounds: ${regionBytes} bytes from the region and ${otherBytes} from another writer, in the same pages; the file matches the model`,
  );
  track.close(other);
  file.close();
});

test.run();
