// @ts-check
// Guests and memory objects (issue 14, items 1 and 5): MmfHost.grantMemoryObject hands a guest one
// object as a handle; memoryObjectPrefix lets it open and destroy the objects under a prefix the
// host chose (`open_object`, `destroy_object`), and no other: without it a guest never reaches
// /dev/shm. `truncate` sizes what it created. The raw imports get hostile values.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createMmf, newMemoryObject, MmfHost, ErrorCodes, OpenModes, MEM_READWRITE } from "../dist/host/index.js";
import { backend, loadGuest, openFds, throwsCode, tracked } from "./helpers.mjs";
import { internals } from "./internals.mjs";
import { leftovers, objectName, objectPrefix, removeObjects } from "./memory-object-names.mjs";

const { EINVAL, ERANGE, EACCES, EBADF, ENOENT, EEXIST, ENOMEM } = ErrorCodes;
const shm = (name) => `/dev/shm/${name}`;
const live = [];
async function guest(options = {}) {
  const loaded = await loadGuest("ring", options);
  live.push(loaded.host);
  return loaded;
}
function cleanup() {
  for (const host of live.splice(0)) host.close();
  removeObjects();
}

/** The guest's exported memory. */
const memoryOf = (/** @type {WebAssembly.Instance} */ instance) => /** @type {WebAssembly.Memory} */ (instance.exports.memory);

/** Writes `text` as UTF-8 into a page the test grew in the guest's memory; returns [ptr, len]. */
function place(instance, bytes) {
  const memory = memoryOf(instance);
  const at = memory.grow(1) * 65536;
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  new Uint8Array(memory.buffer, at, data.length).set(data);
  return [at, data.length];
}

const grants = suite("grantMemoryObject");
grants.after.each(cleanup);
const trackGrants = tracked(grants);

grants("a granted object (r+) is shared with the Node program: the guest's write shows in a live region, zero-copy", async () => {
  const { host, call } = await guest();
  const object = trackGrants(newMemoryObject(objectName(), "wx+"));
  object.truncate(65536);
  const mmf = trackGrants(createMmf());
  const region = mmf.newMemoryRegion(object, MEM_READWRITE, 0, 65536);
  const handle = host.grantMemoryObject(object, "r+");
  object.close(); // the grant opened the object again: the guest's handle outlives this
  const words = new Int32Array(region.data().buffer, region.data().byteOffset, 64);
  words[8] = 1; // the ring's ready word: this side is there
  region.flush(); // (the emulated backend writes back only here)
  assert.is(call("run", handle, 0, 1), 0);
  if (backend === "native") {
    assert.is(Atomics.load(words, 0), 1, "the head word the guest stored, seen through our mapping");
    assert.equal([words[32], words[33]], [0, 7], "message 0: sequence 0, payload 0 * 31 + 7");
  }
  region.close();
  const bytes = readFileSync(shm(object.name()));
  assert.is(bytes.readInt32LE(0), 1, "and in the object");
});

grants('grants by name; an "r" grant never maps MEM_READWRITE; bad grants are typed errors', async () => {
  const { host, call } = await guest();
  const name = objectName();
  assert.is(call("run", host.grantMemoryObject(name, "wx+"), 0, 0), -ERANGE, "a new object is 0 bytes: mapping 64 KiB of it is refused");
  const sized = trackGrants(newMemoryObject(name, "r+"));
  sized.truncate(65536);
  assert.is(call("run", host.grantMemoryObject(name, "r"), 0, 1), -EACCES, "read-only grant, MEM_READWRITE map");
  assert.is(readFileSync(shm(name)).readInt32LE(32), 0, "the refused guest changed nothing");
  const reader = trackGrants(newMemoryObject(name, "r"));
  assert.match(throwsCode(() => host.grantMemoryObject(reader, "r+"), "EACCES").message, /read-only/);
  throwsCode(() => host.grantMemoryObject(sized, "w+"), "EINVAL");
  throwsCode(() => host.grantMemoryObject(objectName(), "r"), "ENOENT");
  throwsCode(() => host.grantMemoryObject(name, "wx+"), "EEXIST");
  // @ts-expect-error: bad names, on purpose
  for (const bad of [null, undefined, 42, 42n, {}, `${name}/x`, "", ".."]) throwsCode(() => host.grantMemoryObject(bad, "r"), "EINVAL");
  reader.close();
  throwsCode(() => host.grantMemoryObject(reader, "r"), "ECLOSED");
  const handles = host.handleCount;
  host.close();
  throwsCode(() => host.grantMemoryObject(sized, "r"), "ECLOSED");
  assert.ok(handles >= 2);
});

grants("at maxHandles a grant or an open_object is ENOMEM, with no descriptor left behind", async () => {
  const { host, call } = await guest({ maxHandles: 2, memoryObjectPrefix: objectPrefix });
  const name = objectName();
  const object = trackGrants(newMemoryObject(name, "wx+"));
  host.grantMemoryObject(object, "r");
  host.grantMemoryObject(name, "r+");
  const fds = openFds();
  throwsCode(() => host.grantMemoryObject(object, "r"), "ENOMEM");
  throwsCode(() => host.grantMemoryObject(name, "r"), "ENOMEM");
  assert.is(call("openObjectError", name, "r"), ENOMEM);
  assert.is(call("openObjectError", objectName(), "wx+"), ENOMEM);
  assert.is(openFds(), fds);
  assert.equal(leftovers(), [name], "no object created by a refused open");
});

const named = suite("guests opening objects by name");
named.after.each(cleanup);
const trackNamed = tracked(named);

named("without memoryObjectPrefix a guest reaches no object by name: EACCES, existing ones untouched", async () => {
  const { call } = await guest();
  const name = objectName();
  writeFileSync(shm(name), "host's");
  for (const flags of ["r", "r+", "w+", "wx+"]) assert.is(call("openObjectError", name, flags), EACCES, flags);
  assert.is(call("openObjectError", objectName(), "w+"), EACCES);
  assert.is(call("destroyObject", name), -EACCES);
  assert.is(call("createAndWrite", objectName(), 4096n, 0, 1), -EACCES);
  assert.is(readFileSync(shm(name), "utf8"), "host's");
  assert.equal(leftovers(), [name], "nothing created");
});

named("with a prefix: the guest creates, sizes, writes and destroys objects under it, and the host sees them", async () => {
  const { call } = await guest({ memoryObjectPrefix: objectPrefix });
  const name = objectName();
  assert.is(call("createAndWrite", name, 8192n, 4100, 0x5a), 0);
  const object = trackNamed(newMemoryObject(name, "r"));
  assert.is(object.size(), 8192, "the guest's truncate");
  assert.is(readFileSync(object.path())[4100], 0x5a, "the guest's write through a MEM_READWRITE region");
  object.close();
  assert.is(call("readObjectByte", `/${name}`, 4100), 0x5a, '"/name" is the same object');
  assert.is(call("createAndWrite", name, 8192n, 0, 1), -EEXIST, "wx+ of an existing object");
  assert.is(call("openObjectError", name, "w+"), 0);
  assert.is(call("openObjectError", name, "rw"), EINVAL);
  assert.is(call("destroyObject", name), 1);
  assert.is(call("destroyObject", name), 0, "already gone: no error");
  assert.not.ok(existsSync(shm(name)));
  assert.is(call("openObjectError", name, "r"), ENOENT);
});

named("with a prefix, every name outside it is EACCES, every bad name EINVAL", async () => {
  const { call } = await guest({ memoryObjectPrefix: objectPrefix });
  const outside = `x${objectPrefix}`;
  writeFileSync(shm(outside.slice(1)), ""); // not ours either way: a name the prefix does not cover
  for (const name of [outside, objectPrefix.slice(0, -1), "small.bin", `/${outside}`]) {
    assert.is(call("openObjectError", name, "r"), EACCES, name);
    assert.is(call("destroyObject", name), -EACCES, name);
  }
  for (const name of [
    `${objectPrefix}/x`,
    `${objectPrefix}x/`,
    `../${objectPrefix}x`,
    "",
    ".",
    "..",
    `${objectPrefix}\0`,
    `${objectPrefix}${"x".repeat(256)}`,
  ]) {
    assert.is(call("openObjectError", name, "w+"), EINVAL, JSON.stringify(name));
  }
  assert.equal(leftovers(), [outside.slice(1)], "nothing created");
});

named("under the prefix: READ_WRITE, CREATE keeping the contents, a planted symlink, FIFO or folder", async () => {
  const { host, instance, call } = await guest({ memoryObjectPrefix: objectPrefix });
  const { open_object: openObject, file_size: fileSize } = host.imports;
  const name = objectName();
  const [ptr, len] = place(instance, name);
  assert.is(openObject(ptr, len, OpenModes.READ_WRITE), -ENOENT, "READ_WRITE of a missing object");
  writeFileSync(shm(name), "kept");
  assert.ok(openObject(ptr, len, OpenModes.READ_WRITE) > 0);
  const created = openObject(ptr, len, OpenModes.CREATE);
  assert.ok(created > 0);
  assert.is(fileSize(created), 4n, "CREATE of an existing object keeps its contents");
  assert.is(readFileSync(shm(name), "utf8"), "kept");
  const target = shm(objectName("target"));
  writeFileSync(target, "target");
  const link = objectName("link");
  symlinkSync(target, shm(link));
  for (const flags of ["r", "r+", "w+"]) assert.is(call("openObjectError", link, flags), EACCES, `symlink, ${flags}`);
  assert.is(call("openObjectError", link, "wx+"), EEXIST);
  assert.is(readFileSync(target, "utf8"), "target", "never followed");
  const fifo = objectName("fifo");
  assert.is(spawnSync("mkfifo", [shm(fifo)]).status, 0);
  const folder = objectName("dir");
  mkdirSync(shm(folder));
  for (const flags of ["r", "r+", "w+"]) {
    assert.is(call("openObjectError", fifo, flags), EINVAL, `FIFO, ${flags}`);
    assert.is(call("openObjectError", folder, flags), EINVAL, `folder, ${flags}`);
  }
  assert.is(call("destroyObject", folder), -EINVAL, "a folder is not destroyed");
  assert.ok(existsSync(shm(folder)));
});

named("memoryObjectPrefix must be a name itself", () => {
  // @ts-expect-error: bad prefixes, on purpose
  for (const prefix of ["", "/", "a/b", "..", 42, null, "a\0"]) throwsCode(() => new MmfHost({ memoryObjectPrefix: prefix }), "EINVAL");
  new MmfHost({ memoryObjectPrefix: "/app." }).close();
});

const raw = suite("open_object, destroy_object and truncate: hostile values");
raw.after.each(cleanup);
const trackRaw = tracked(raw);

raw("open_object and destroy_object check the range, the bytes and the mode before anything else", async () => {
  const { host, instance } = await guest({ memoryObjectPrefix: objectPrefix });
  const { open_object: openObject, destroy_object: destroyObject } = host.imports;
  const name = objectName();
  const [ptr, len] = place(instance, name);
  const size = () => memoryOf(instance).buffer.byteLength;
  assert.is(openObject(ptr, len, OpenModes.READ), -ENOENT);
  // @ts-expect-error: 2n is no number, on purpose
  for (const mode of [4, -1, 0x7fffffff, 1.5, NaN, 2n]) assert.is(openObject(ptr, len, mode), -EINVAL, String(mode));
  assert.is(openObject(ptr, 0, OpenModes.CREATE), -EINVAL, "an empty name");
  assert.is(openObject(ptr, 4096, OpenModes.CREATE), -EINVAL, "MAX_PATH bytes");
  assert.is(openObject(size() - 2, 8, OpenModes.CREATE), -ERANGE, "past the memory's end");
  assert.is(openObject(0xfffffff0, 32, OpenModes.CREATE), -ERANGE);
  assert.is(openObject(2 ** 32 + ptr, len, OpenModes.CREATE), -EINVAL, "2^32 + n is never read modulo 2^32");
  const [bad, badLen] = place(instance, new Uint8Array([...new TextEncoder().encode(objectPrefix), 0xff, 0xfe]));
  assert.is(openObject(bad, badLen, OpenModes.CREATE), -EINVAL, "not UTF-8");
  assert.is(destroyObject(size() - 2, 8), -ERANGE);
  assert.is(destroyObject(bad, badLen), -EINVAL);
  assert.equal(leftovers(), [], "nothing created");
  const handle = openObject(ptr, len, OpenModes.CREATE_NEW);
  assert.ok(handle > 0);
  assert.is(openObject(ptr, len, OpenModes.CREATE_NEW), -EEXIST);
  assert.is(host.imports.open(ptr, len, OpenModes.CREATE_NEW), -EINVAL, "open knows no CREATE_NEW");
  assert.is(destroyObject(ptr, len), 1);
  // The order: a bad mode is EINVAL before the prefix is asked, also on a host that allows no name.
  const closed = await guest();
  const [p2, l2] = place(closed.instance, name);
  assert.is(closed.host.imports.open_object(p2, l2, 4), -EINVAL);
  assert.is(closed.host.imports.open_object(p2, l2, OpenModes.CREATE), -EACCES);
  assert.is(closed.host.imports.open_object(p2, 0, OpenModes.CREATE), -EINVAL);
  assert.is(closed.host.imports.destroy_object(memoryOf(closed.instance).buffer.byteLength, 1), -ERANGE);
});

raw("truncate: a read-write handle only, sizes as i64 (no wrap), every other value a code", async () => {
  const { host, instance } = await guest({ memoryObjectPrefix: objectPrefix });
  const { open_object: openObject, truncate, file_size: fileSize } = host.imports;
  const [ptr, len] = place(instance, objectName());
  const handle = openObject(ptr, len, OpenModes.CREATE_NEW);
  assert.is(truncate(handle, 2n ** 32n + 4096n), 0);
  assert.is(fileSize(handle), 2n ** 32n + 4096n);
  // @ts-expect-error: sizes that are no bigint, on purpose
  for (const size of [-1n, -(2n ** 63n), 5, 1.5, NaN, undefined]) assert.is(truncate(handle, size), -EINVAL, String(size));
  assert.is(truncate(handle, 2n ** 62n), -ERANGE);
  assert.is(fileSize(handle), 2n ** 32n + 4096n, "unchanged");
  assert.is(truncate(handle + 1000, 0n), -EBADF);
  const reader = openObject(ptr, len, OpenModes.READ);
  assert.is(truncate(reader, 0n), -EACCES);
  const lent = internals(host).lend(trackRaw(newMemoryObject(`/${new TextDecoder().decode(new Uint8Array(memoryOf(instance).buffer, ptr, len))}`, "r+")).fd());
  assert.is(truncate(lent, 0n), -EBADF, "a lent descriptor is not the guest's to size");
  internals(host).endLoan();
  assert.is(host.imports.close(handle), 0);
  assert.is(truncate(handle, 0n), -EBADF, "closed");
});

const last = suite("cleanup");
last("every object made by these suites is gone", () => {
  cleanup();
  assert.equal(leftovers(), []);
});

grants.run();
named.run();
raw.run();
last.run();
