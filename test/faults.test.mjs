// @ts-check
// A fault is not always a truncation (issue 9, item 1). A write into a hole of a shared mapping on
// a full file system (ENOSPC), or a page the device fails to read (EIO), raises SIGBUS too. The
// guard tells the causes apart by the fault's file offset against the file's size and the file
// system's free blocks; regions report ENOSPC or EIO, and no writeAt/readAt returns a count for
// bytes that did not reach (or come from) the page cache. Real file systems: a 1 MiB tmpfs and a
// small ext4 image on a loop device, which the EIO test shrinks under the mounted file system.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { closeSync, ftruncateSync, openSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createMmf, openFile, ErrorCodes, MemoryRegionReader, MemoryRegionWriter, MEM_READ_ONLY, MEM_READWRITE } from "../dist/host/index.js";
import { backend, loadGuest, pattern, realMappingTest, throwsCode, tracked } from "./helpers.mjs";
import { dropCache, mountUnavailable, withExt4, withTmpfs } from "./mounts.mjs";

const test = suite("faults");
const track = tracked(test);

const PAGE = 4096;
const MiB = 2 ** 20;
const unavailable = backend === "native" ? mountUnavailable() : undefined;
const guard = backend === "native" ? (await import("../dist/host/native.js")).nativeHelper() : /** @type {never} */ (undefined); // used by native-only tests

/** A test on a mounted file system: real mapping only, and root. */
function mountTest(name, fn) {
  if (unavailable) {
    console.log(`  skipped (${unavailable}): ${name}`);
    test.skip(name, fn);
  } else {
    realMappingTest(test, name, fn);
  }
}

function sparse(path, size) {
  const fd = openSync(path, "w+");
  ftruncateSync(fd, size);
  closeSync(fd);
}

const fill = (i) => (i % 250) + 1;

/**
 * Writes whole pages of fill(i) through a MemoryRegionWriter until one throws; checks that the
 * error is `code`, that every page whose write returned a count is in the file, and that data(),
 * flush() and close() report the fault. Returns the pages written.
 */
function writeUntilFull(path, pages, code) {
  const mmf = createMmf();
  const file = openFile(path, "r+");
  const region = mmf.newMemoryRegion(file, MEM_READWRITE);
  const writer = new MemoryRegionWriter(region);
  const page = new Uint8Array(PAGE);
  const faultsBefore = guard.guardStats().faults;
  let written = 0;
  let error;
  for (; written < pages; written++) {
    page.fill(fill(written));
    try {
      assert.is(writer.writeAt(page, written * PAGE), PAGE);
    } catch (err) {
      error = err;
      break;
    }
  }
  assert.is(error?.code, code, `the write of page ${written} of ${pages}: ${error}`);
  throwsCode(() => region.data(), code);
  throwsCode(() => region.flush(), code);
  throwsCode(() => writer.writeAt(page, 0), code);
  throwsCode(() => region.close(), code);
  region.close(); // closed already: nothing more to say
  file.close();
  const bytes = readFileSync(path);
  for (let i = 0; i < written; i++) {
    const want = fill(i);
    if (!bytes.subarray(i * PAGE, (i + 1) * PAGE).every((b) => b === want)) assert.unreachable(`page ${i} was reported written but is not in the file`);
  }
  return { written, faults: guard.guardStats().faults - faultsBefore };
}

mountTest("a full tmpfs: writeAt answers ENOSPC for the page that found no room, and every count it returned is in the file", async () => {
  await withTmpfs(MiB, async (dir) => {
    const path = join(dir, "big.bin");
    sparse(path, 4 * MiB);
    const { written, faults } = writeUntilFull(path, 1024, "ENOSPC");
    assert.ok(written > 0 && written <= 256, `${written} pages fit in 1 MiB`);
    assert.is(faults, 1, "one fault absorbed: the rest of the mapping was replaced at once");
    console.log(`  tmpfs 1 MiB: ${written} pages written, then ENOSPC; faults absorbed ${faults}`);
  });
});

mountTest("a full ext4 file system on a loop device: ENOSPC, not ETRUNCATED", async () => {
  await withExt4(8 * MiB, async ({ dir }) => {
    const path = join(dir, "big.bin");
    sparse(path, 16 * MiB);
    const { written, faults } = writeUntilFull(path, 4096, "ENOSPC");
    assert.ok(written > 0 && written < 2048, `${written} pages fit in 8 MiB`);
    console.log(`  ext4 8 MiB: ${written} pages written, then ENOSPC; faults absorbed ${faults}`);
  });
});

mountTest("raw stores through data() on a full tmpfs: flush() and close() report ENOSPC", async () => {
  await withTmpfs(MiB, async (dir) => {
    const path = join(dir, "raw.bin");
    sparse(path, 2 * MiB);
    const mmf = track(createMmf());
    const file = track(openFile(path, "r+"));
    const region = track(mmf.newMemoryRegion(file, MEM_READWRITE));
    const view = region.data();
    for (let i = 0; i < view.length; i += PAGE) view[i] = 1; // the store that finds no room completes into zeroed memory
    throwsCode(() => region.flush(), "ENOSPC");
    throwsCode(() => region.close(), "ENOSPC");
    file.close();
  });
});

mountTest("a guest's writer on a full tmpfs answers -ENOSPC, and close() too", async () => {
  await withTmpfs(MiB, async (dir) => {
    const path = join(dir, "guest.bin");
    sparse(path, 2 * MiB);
    const g = track(await loadGuest("api"));
    const index = g.call("holdHandle", g.host.grant(path, "r+"), MEM_READWRITE, 0n, 0n);
    assert.ok(index >= 0, `map: ${index}`);
    let written = 0;
    let result = 0;
    while ((result = g.call("writePageHeld", index, BigInt(written * PAGE), PAGE, fill(written))) === PAGE) written++;
    assert.is(result, -ErrorCodes.ENOSPC, `the write of page ${written}`);
    assert.is(g.call("checkHeld", index), -ErrorCodes.ENOSPC);
    assert.is(g.call("closeHeldAt", index), -ErrorCodes.ENOSPC);
    assert.is(g.host.mappingCount, 0);
    g.host.close();
    const bytes = readFileSync(path);
    for (let i = 0; i < written; i++) assert.is(bytes[i * PAGE + 7], fill(i), `page ${i}`);
    console.log(`  guest on tmpfs 1 MiB: ${written} pages written, then -ENOSPC`);
  });
});

mountTest("a file truncated on a full tmpfs is still ETRUNCATED: the size decides before the free space", async () => {
  await withTmpfs(MiB, async (dir) => {
    const path = join(dir, "full.bin");
    writeFileSync(path, new Uint8Array(768 * 1024).fill(3));
    writeFileSync(join(dir, "filler.bin"), new Uint8Array(0));
    try {
      writeFileSync(join(dir, "filler.bin"), new Uint8Array(MiB)); // fills the rest
    } catch (err) {
      assert.is(err.code, "ENOSPC");
    }
    const mmf = track(createMmf());
    const file = track(openFile(path, "r"));
    const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
    const reader = new MemoryRegionReader(region);
    truncateSync(path, PAGE);
    throwsCode(() => reader.readAt(new Uint8Array(16), 100 * PAGE), "ETRUNCATED");
    throwsCode(() => region.close(), "ETRUNCATED");
    file.close();
  });
});

mountTest("a device that fails under ext4: readAt answers EIO for the page it could not read; the pages before read right", async () => {
  await withExt4(16 * MiB, async ({ dir, shrink }) => {
    const path = join(dir, "data.bin");
    const bytes = pattern(6 * MiB, 9);
    writeFileSync(path, bytes);
    dropCache(path);
    shrink(3 * MiB); // the file's blocks past ~3 MiB of the device are gone: reading them fails
    const mmf = track(createMmf());
    const file = track(openFile(path, "r"));
    const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
    const reader = new MemoryRegionReader(region);
    const page = new Uint8Array(PAGE);
    let read = 0;
    let error;
    for (; read < bytes.length / PAGE; read++) {
      try {
        assert.is(reader.readAt(page, read * PAGE), PAGE);
      } catch (err) {
        error = err;
        break;
      }
      assert.equal(page, bytes.subarray(read * PAGE, (read + 1) * PAGE), `page ${read}`);
    }
    assert.is(error?.code, "EIO", `the read of page ${read}: ${error}`);
    assert.ok(read > 0, "the pages on the device read");
    throwsCode(() => region.data(), "EIO");
    throwsCode(() => region.close(), "EIO");
    // A guest's reader says the same.
    const g = track(await loadGuest("api"));
    const index = g.call("holdHandle", g.host.grant(path, "r"), MEM_READ_ONLY, 0n, 0n);
    assert.is(g.call("readPageHeld", index, BigInt(read * PAGE), PAGE), -ErrorCodes.EIO);
    assert.is(g.call("closeHeldAt", index), -ErrorCodes.EIO);
    g.host.close();
    file.close();
    console.log(`  ext4 on a shrunk loop device: ${read} pages read, then EIO`);
  });
});

test.run();
