// @ts-check
// Named shared memory objects (issue 14, item 1): newMemoryObject / destroyMemoryObject over real
// /dev/shm objects. Names, flags and sizes from hostile callers, planted symlinks, FIFOs and
// folders, closed objects, a missing /dev/shm, and what each region mode shares with another process.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, fstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createMmf,
  destroyMemoryObject,
  newMemoryObject,
  MemoryObject,
  MemoryRegionWriter,
  MAX_OBJECT_NAME,
  SHM_DIR,
  MEM_COPY_ON_WRITE,
  MEM_READ_ONLY,
  MEM_READ_PRIVATE,
  MEM_READWRITE,
} from "../dist/host/index.js";
import { spawn } from "node:child_process";
import { backend, longOnEmulatedTest, openFds, realMappingTest, root, tempDir, testNode, throwsCode, tracked } from "./helpers.mjs";
import { leftovers, objectName, objectPrefix, removeObjects } from "./memory-object-names.mjs";

const dir = tempDir();
const shmPath = (name) => join(SHM_DIR, name);
/** Objects a test opened: closed after it, whatever happened. */
const opened = [];
/** @param {Parameters<typeof newMemoryObject>} args */
function open(...args) {
  const object = newMemoryObject(...args);
  opened.push(object);
  return object;
}
function cleanup() {
  for (const object of opened.splice(0)) object.close();
  removeObjects();
}

// --- names ---------------------------------------------------------------------------------------

const names = suite("memory object names");
names.after.each(cleanup);

names('a name lies in /dev/shm; "/name" (shm_open\'s form) and "name" are the same object', () => {
  const name = objectName();
  const a = open(name, "wx+");
  assert.is(a.name(), name);
  assert.is(a.path(), `/dev/shm/${name}`);
  assert.ok(statSync(shmPath(name)).isFile());
  a.truncate(4096);
  const b = open(`/${name}`, "r");
  assert.is(b.name(), name, "the leading / is dropped");
  assert.is(b.size(), 4096);
  assert.is(fstatSync(b.fd()).ino, fstatSync(a.fd()).ino, "one object");
  throwsCode(() => newMemoryObject(`/${name}`, "wx+"), "EEXIST");
});

names("names of up to 255 bytes (NAME_MAX), counted in UTF-8 bytes", () => {
  assert.is(MAX_OBJECT_NAME, 255);
  const long = objectPrefix + "x".repeat(MAX_OBJECT_NAME - objectPrefix.length);
  open(long, "wx+");
  assert.ok(existsSync(shmPath(long)));
  throwsCode(() => newMemoryObject(long + "x", "wx+"), "EINVAL");
  // "é" is 2 bytes: the byte count decides, not the string's length.
  const accents = objectPrefix + "é".repeat(Math.floor((MAX_OBJECT_NAME - objectPrefix.length) / 2));
  open(accents, "wx+");
  const err = throwsCode(() => newMemoryObject(accents + "é", "wx+"), "EINVAL");
  assert.match(err.message, /255 bytes/);
});

names("bad names are EINVAL with the reason, and create nothing", () => {
  const before = new Set(leftovers());
  /** @type {Array<[string, RegExp]>} */
  const bad = [
    ["", /empty/],
    ["/", /empty/],
    [".", /folder/],
    ["..", /folder/],
    ["/.", /folder/],
    ["/..", /folder/],
    [`${objectPrefix}a/b`, /holds a "\/"/],
    [`//${objectPrefix}a`, /holds a "\/"/],
    [`${objectPrefix}a/`, /holds a "\/"/],
    [`../${objectPrefix}a`, /holds a "\/"/],
    [`${objectPrefix}a\0b`, /NUL/],
    [`${objectPrefix}\ud800`, /surrogate/],
    ["x".repeat(256), /255 bytes/],
  ];
  for (const [name, why] of bad) {
    for (const flags of /** @type {const} */ (["r", "r+", "w+", "wx+"])) {
      const err = throwsCode(() => newMemoryObject(name, flags), "EINVAL");
      assert.match(err.message, why, `${JSON.stringify(name)}: ${err.message}`);
    }
    throwsCode(() => destroyMemoryObject(name), "EINVAL");
  }
  for (const value of [undefined, null, 42, 42n, {}, [objectName()], Symbol("x"), () => "x"]) {
    // @ts-expect-error: not a name, on purpose
    throwsCode(() => newMemoryObject(value, "w+"), "EINVAL");
    // @ts-expect-error: not a name, on purpose
    throwsCode(() => destroyMemoryObject(value), "EINVAL");
  }
  assert.equal(new Set(leftovers()), before, "nothing created");
});

names('flags and perm: anything but "r", "r+", "w+", "wx+" and an integer 0 to 0o777 is EINVAL', () => {
  const name = objectName();
  // @ts-expect-error: bad flags, on purpose
  for (const flags of ["w", "rw", "x", "", "R", "w+x", null, 1, 1n, {}]) throwsCode(() => newMemoryObject(name, flags), "EINVAL");
  // @ts-expect-error: bad perm, on purpose
  for (const perm of [NaN, -1, 0o1000, 1.5, "0o666", 438n, null, Infinity]) throwsCode(() => newMemoryObject(name, "w+", perm), "EINVAL");
  assert.not.ok(existsSync(shmPath(name)), "nothing created");
  open(name, "wx+", 0o600);
  assert.is(statSync(shmPath(name)).mode & 0o777, 0o600 & ~process.umask());
});

// --- opening, sizing, closing ----------------------------------------------------------------------

const objects = suite("memory objects");
objects.after.each(cleanup);
const trackObjects = tracked(objects);

objects('"r" and "r+" need the object; "w+" creates or opens keeping the contents; "wx+" creates or fails EEXIST', () => {
  const name = objectName();
  assert.match(throwsCode(() => newMemoryObject(name, "r"), "ENOENT").message, /no memory object .* "w\+"/);
  throwsCode(() => newMemoryObject(name, "r+"), "ENOENT");
  const created = open(name, "w+");
  assert.is(created.size(), 0, "a new object is empty");
  writeFileSync(shmPath(name), "kept");
  const again = open(name, "w+");
  assert.is(again.size(), 4, "w+ of an existing object truncates nothing (a peer's mapping would fault)");
  assert.is(readFileSync(shmPath(name), "utf8"), "kept");
  throwsCode(() => newMemoryObject(name, "wx+"), "EEXIST");
  assert.ok(open(name, "r+").writable);
  assert.not.ok(open(name, "r").writable);
});

objects("truncate: sizes past 2^32 exactly, bigints; hostile sizes are typed errors that change nothing", () => {
  const object = open(objectName(), "wx+");
  object.truncate(2 ** 32 + 4096); // sparse on tmpfs: no memory is used
  assert.is(object.size(), 2 ** 32 + 4096, "never read modulo 2^32");
  object.truncate(8192n);
  assert.is(object.size(), 8192);
  // @ts-expect-error: bad sizes, on purpose
  for (const size of [NaN, -1, -0, 1.5, "10", {}, undefined, null, Infinity, -Infinity, -1n, Symbol("s")]) throwsCode(() => object.truncate(size), "EINVAL");
  for (const size of [2 ** 53, 2n ** 53n, 2n ** 64n]) throwsCode(() => object.truncate(size), "ERANGE");
  assert.is(object.size(), 8192, "unchanged");
  const reader = open(object.name(), "r");
  assert.match(throwsCode(() => reader.truncate(0), "EACCES").message, /read-only/);
  assert.is(object.size(), 8192);
});

objects("a closed object: size and truncate are ECLOSED, fd() is -1 and a region of it EBADF; close is idempotent", () => {
  const mmf = trackObjects(createMmf());
  const object = open(objectName(), "wx+");
  object.truncate(4096);
  object.close();
  object.close();
  assert.is(object.fd(), -1);
  throwsCode(() => object.size(), "ECLOSED");
  throwsCode(() => object.truncate(0), "ECLOSED");
  throwsCode(() => mmf.newMemoryRegion(object, MEM_READ_ONLY, 0, 4096), "EBADF");
  assert.ok(existsSync(object.path()), "close() keeps the object");
  const disposed = open(object.name(), "r+");
  disposed[Symbol.dispose]();
  assert.is(disposed.fd(), -1, "[Symbol.dispose] closes");
  assert.ok(existsSync(object.path()), "and does not destroy");
  object.destroy();
  assert.not.ok(existsSync(object.path()), "destroy() after close() still removes the name");
});

objects("destroy: the name goes, mappings keep their pages; a new object of the name is another one", () => {
  const mmf = trackObjects(createMmf());
  const name = objectName();
  const object = open(name, "wx+");
  object.truncate(4096);
  const region = mmf.newMemoryRegion(object, MEM_READWRITE, 0, 4096);
  region.data()[7] = 77;
  object.destroy();
  assert.is(object.fd(), -1, "destroy() closes");
  assert.not.ok(existsSync(shmPath(name)));
  assert.is(destroyMemoryObject(name), false, "destroying a missing object is no error (go-ipc)");
  assert.is(region.data()[7], 77, "the mapping keeps the destroyed object's pages");
  const fresh = open(name, "wx+");
  assert.is(fresh.size(), 0, "a new object, not the old pages");
  assert.is(destroyMemoryObject(name), true);
});

objects("descriptors are close-on-exec; failed opens leak none", () => {
  const object = open(objectName(), "wx+");
  const flags = Number.parseInt(/** @type {RegExpMatchArray} */ (readFileSync(`/proc/self/fdinfo/${object.fd()}`, "utf8").match(/^flags:\s+(\d+)/m))[1], 8);
  assert.ok(flags & 0o2000000, `O_CLOEXEC in ${flags.toString(8)}`);
  const before = openFds();
  for (let i = 0; i < 200; i++) {
    throwsCode(() => newMemoryObject(object.name(), "wx+"), "EEXIST");
    throwsCode(() => newMemoryObject(objectName(), "r"), "ENOENT");
    throwsCode(() => open(object.name(), "r").truncate(-1), "EINVAL");
    opened.pop().close();
  }
  assert.is(openFds(), before);
});

objects("planted in /dev/shm: a symlink is EACCES and never followed, a FIFO or folder EINVAL at once", () => {
  const target = join(dir, "target.bin");
  writeFileSync(target, "secret");
  const link = objectName("link");
  symlinkSync(target, shmPath(link));
  for (const flags of /** @type {const} */ (["r", "r+", "w+", "wx+"])) {
    const err = flags === "wx+" ? throwsCode(() => newMemoryObject(link, flags), "EEXIST") : throwsCode(() => newMemoryObject(link, flags), "EACCES");
    if (flags !== "wx+") assert.match(err.message, /symbolic link/);
  }
  assert.is(readFileSync(target, "utf8"), "secret", "the target was neither truncated nor opened for writing");
  assert.is(destroyMemoryObject(link), true, "destroy removes the link itself");
  assert.is(readFileSync(target, "utf8"), "secret", "and never its target");

  const fifo = objectName("fifo");
  assert.is(spawnSync("mkfifo", [shmPath(fifo)]).status, 0);
  const started = Date.now();
  for (const flags of /** @type {const} */ (["r", "r+", "w+"])) assert.match(throwsCode(() => newMemoryObject(fifo, flags), "EINVAL").message, /a FIFO/);
  assert.ok(Date.now() - started < 5000, "no open blocked on the FIFO");

  const folder = objectName("dir");
  mkdirSync(shmPath(folder));
  throwsCode(() => newMemoryObject(folder, "r"), "EINVAL");
  throwsCode(() => newMemoryObject(folder, "r+"), "EINVAL");
  throwsCode(() => destroyMemoryObject(folder), "EINVAL");
  assert.ok(existsSync(shmPath(folder)), "a folder is not destroyed");
});

objects("no /dev/shm (a mount namespace with an empty /dev): ENOENT that says so", () => {
  const script = `import { newMemoryObject } from ${JSON.stringify(join(root, "dist/host/index.js"))};
    try { newMemoryObject("x", "w+"); console.log("opened"); } catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }`;
  const run = spawnSync(
    "unshare",
    ["-m", "sh", "-c", 'mount -t tmpfs none /dev && exec "$@"', "sh", testNode.file, ...testNode.args, "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  assert.is(run.status, 0, run.stderr);
  const { code, message } = JSON.parse(run.stdout);
  assert.is(code, "ENOENT");
  assert.match(message, /\/dev\/shm is missing/);
});

// --- regions over objects: what each mode shares -------------------------------------------------

const regions = suite("regions over memory objects");
regions.after.each(cleanup);
const trackRegions = tracked(regions);

regions("each mode over an object: only MEM_READWRITE reaches the object and another process", () => {
  const name = objectName();
  const object = open(name, "wx+");
  object.truncate(8192);
  const mmf = trackRegions(createMmf());
  const shared = mmf.newMemoryRegion(object, MEM_READWRITE, 0, 8192);
  const mine = mmf.newMemoryRegion(object, MEM_COPY_ON_WRITE, 0, 8192);
  mine.data()[0] = 0xcc; // private: never reaches the object
  // Another process: a shared write at 100, a copy-on-write one at 200; it reads byte 0 read-only
  // and privately, and its writers over read-only regions refuse.
  const script = `import { createMmf, newMemoryObject, MemoryRegionWriter, MEM_READWRITE, MEM_COPY_ON_WRITE, MEM_READ_ONLY, MEM_READ_PRIVATE } from ${JSON.stringify(join(root, "dist/host/index.js"))};
    const mmf = createMmf();
    const object = newMemoryObject(${JSON.stringify(name)}, "r+");
    const rw = mmf.newMemoryRegion(object, MEM_READWRITE, 0, 8192);
    const cow = mmf.newMemoryRegion(object, MEM_COPY_ON_WRITE, 0, 8192);
    rw.data()[100] = 0xaa;
    cow.data()[200] = 0xbb;
    rw.flush(); // the emulated backend writes back only here
    const refused = [];
    const seen = [];
    for (const mode of [MEM_READ_ONLY, MEM_READ_PRIVATE]) {
      const region = mmf.newMemoryRegion(object, mode, 0, 8192);
      seen.push(region.data()[0], region.data()[100], region.data()[200]);
      try { new MemoryRegionWriter(region).writeAt(new Uint8Array([1]), 0); } catch (err) { refused.push(err.code); }
      region.close();
    }
    seen.push(cow.data()[200]);
    rw.close(); cow.close(); object.close();
    console.log(JSON.stringify({ refused, seen }));`;
  const child = spawnSync(testNode.file, [...testNode.args, "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env } });
  assert.is(child.status, 0, child.stderr);
  const { refused, seen } = JSON.parse(child.stdout);
  assert.equal(refused, ["EACCES", "EACCES"], "writers over MEM_READ_ONLY and MEM_READ_PRIVATE refuse");
  assert.equal(seen, [0, 0xaa, 0, 0, 0xaa, 0, 0xbb], "its read-only regions see its shared write, not its or our private ones");
  const bytes = readFileSync(shmPath(name));
  assert.equal([bytes[0], bytes[100], bytes[200]], [0, 0xaa, 0], "the object holds the shared write only");
  if (backend === "native") {
    assert.is(shared.data()[100], 0xaa, "our live MEM_READWRITE region sees the other process's write, zero-copy");
    assert.is(shared.data()[200], 0);
  }
  assert.is(mine.data()[0], 0xcc, "our copy-on-write byte stays ours");
  assert.is(shared.data()[0], 0);
});

regions('a read-only ("r") object maps every mode but MEM_READWRITE (EACCES)', () => {
  const name = objectName();
  open(name, "wx+").truncate(4096);
  const reader = open(name, "r");
  const mmf = trackRegions(createMmf());
  throwsCode(() => mmf.newMemoryRegion(reader, MEM_READWRITE, 0, 4096), "EACCES");
  for (const mode of /** @type {const} */ ([MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_COPY_ON_WRITE])) mmf.newMemoryRegion(reader, mode, 0, 4096).close();
  throwsCode(() => mmf.newMemoryRegion(reader, MEM_READ_ONLY, 0, 3 * 4096), "ERANGE");
});

realMappingTest(regions, "another process shrinks the object under a live region: zeros past the end, ETRUNCATED, this process lives", () => {
  const name = objectName();
  const object = open(name, "wx+");
  object.truncate(4 * 4096);
  const mmf = trackRegions(createMmf());
  const region = mmf.newMemoryRegion(object, MEM_READWRITE, 0, 4 * 4096);
  const view = region.data();
  view.fill(9);
  const script = `import { newMemoryObject } from ${JSON.stringify(join(root, "dist/host/index.js"))};
    newMemoryObject(${JSON.stringify(name)}, "r+").truncate(4096);`;
  const child = spawnSync(testNode.file, [...testNode.args, "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.is(child.status, 0, child.stderr);
  assert.is(view[0], 9, "the page still in the object keeps its bytes");
  assert.is(view[3 * 4096], 0, "a page past the new end reads zero (the guard absorbed the SIGBUS)");
  throwsCode(() => region.data(), "ETRUNCATED");
  throwsCode(() => region.close(), "ETRUNCATED");
  mmf.close();
});

const races = suite("memory objects raced by processes");
races.after.each(cleanup);

// Creating an object never touches the backend: four processes' start-up once is enough.
longOnEmulatedTest(races, 'processes racing to create one name with "wx+": exactly one wins, the others get EEXIST', async () => {
  const name = objectName();
  const script = `import { newMemoryObject } from ${JSON.stringify(join(root, "dist/host/index.js"))};
    try { newMemoryObject(${JSON.stringify(name)}, "wx+").close(); console.log("created"); } catch (err) { console.log(err.code); }`;
  const racer = () =>
    new Promise((resolve, reject) => {
      const child = spawn(testNode.file, [...testNode.args, "--input-type=module", "-e", script]);
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("error", reject);
      child.on("exit", () => resolve(out.trim()));
    });
  const answers = (await Promise.all([racer(), racer(), racer(), racer()])).sort();
  assert.equal(answers, ["EEXIST", "EEXIST", "EEXIST", "created"]);
});

const last = suite("cleanup");
last("every object made by these suites is gone", () => {
  cleanup();
  assert.equal(leftovers(), []);
  assert.ok(opened.length === 0 && MemoryObject.name === "MemoryObject" && MemoryRegionWriter);
});

names.run();
objects.run();
regions.run();
races.run();
last.run();
