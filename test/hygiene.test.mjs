// @ts-check
// Resource hygiene (issue 9, point 8): hosts dropped without close() give their descriptors and
// mappings back, [Symbol.dispose] closes, a constructor that throws closes what it opened, handle
// numbers wrap around instead of running out, and openFile/grant never block on a FIFO.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createMmf, openFile, MapFlags, MmfHost, MEM_READ_ONLY, MEM_READWRITE } from "../dist/host/index.js";
import { coreOf, internals } from "./internals.mjs";
import { backend, collectGarbage, loadGuest, mapsOf, openFds, pattern, readBytes, root, tempDir, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("hygiene");
const track = tracked(test);

const dir = tempDir();
const LONG = process.env.MMF_RELIABILITY === "1";
const bytes = pattern(3 * 4096, 6);
const data = join(dir, "data");
mkdirSync(data);
const shared = writeFile(data, "shared.bin", bytes);

test("[Symbol.dispose] closes the host: descriptors back, then ECLOSED", () => {
  const before = openFds();
  const host = track(new MmfHost({ preopens: { "/data": data } }));
  host.attach(new WebAssembly.Memory({ initial: 2 }));
  const handle = host.grant(shared, "r");
  assert.is(host.imports.map(handle, 0n, host.pageSize, host.pageSize, 0), 0);
  // The preopen and the grant; on native also the guard's O_PATH descriptor of the mapped file.
  assert.is(openFds(), before + 2 + (backend === "native" ? 1 : 0));
  host[Symbol.dispose]();
  assert.is(openFds(), before, "descriptors");
  if (backend === "native") assert.is(mapsOf(shared).length, 0, "the mapping");
  host[Symbol.dispose](); // idempotent
  throwsCode(() => host.grant(shared), "ECLOSED");
});

test("hosts dropped without close() release their descriptors and mappings at collection", async () => {
  const HOSTS = LONG ? 500 : 50;
  const path = track.path(writeFile(dir, "dropped.bin", bytes));
  await collectGarbage();
  const before = openFds();
  (() => {
    for (let i = 0; i < HOSTS; i++) {
      const host = new MmfHost({ preopens: { "/data": data } });
      const memory = new WebAssembly.Memory({ initial: 2 });
      host.attach(memory);
      const handle = host.grant(path, "r+");
      const ps = host.pageSize;
      assert.is(host.imports.map(handle, 0n, ps, ps, MapFlags.SHARED), 0);
      new Uint8Array(memory.buffer)[ps + i] = 0xc0 | (i & 15); // a change the host must not lose
    }
  })();
  const held = openFds();
  const mapped = mapsOf(path).length;
  await collectGarbage();
  const after = openFds();
  console.log(
    `  [${backend}] ${HOSTS} dropped hosts: descriptors ${before} before, ${held} while held, ${after} after the collector; mappings of the file ${mapped} -> ${mapsOf(path).length}`,
  );
  assert.is(after, before, "descriptors leaked");
  if (backend === "native") assert.is(mapsOf(path).length, 0, "mappings left");
  // The shared mappings' changes reached the file (the emulated backend writes them back at unmap).
  const disk = readBytes(path);
  for (let i = 0; i < Math.min(HOSTS, 4096); i++) assert.is(disk[i], 0xc0 | (i & 15), `byte ${i}`);
});

test("a dropped guest with its host and memory: regions unmapped, handles closed", async () => {
  await collectGarbage();
  const before = openFds();
  await (async () => {
    for (let i = 0; i < 10; i++) {
      const { call } = await loadGuest("api", { preopens: { "/data": data } });
      assert.ok(call("holdPath", "/data/shared.bin", "r", MEM_READ_ONLY) >= 0);
    }
  })();
  const mapped = mapsOf(shared).length;
  await collectGarbage();
  console.log(`  [${backend}] 10 dropped guests: descriptors ${before} -> ${openFds()}, mappings ${mapped} -> ${mapsOf(shared).length}`);
  assert.is(openFds(), before);
  if (backend === "native") assert.is(mapsOf(shared).length, 0);
});

test("a constructor that throws closes the preopens it opened", () => {
  const before = openFds();
  throwsCode(() => new MmfHost({ preopens: { "/a": data, "/b": data, "/c": join(dir, "missing") } }), "ENOENT");
  throwsCode(() => new MmfHost({ preopens: { "/a": data, relative: data } }), "EINVAL");
  assert.is(openFds(), before, "preopens leaked");
});

test("handle numbers wrap around at 2^31 - 1, skip live ones, and never run out", async () => {
  // Guest handles: near the limit, then past it.
  const host = track(new MmfHost());
  host.attach(new WebAssembly.Memory({ initial: 2 }));
  const first = host.grant(shared);
  assert.is(first, 1);
  internals(host).nextHandle = 2 ** 31 - 2;
  const handles = [first];
  for (let i = 0; i < 4; i++) handles.push(host.grant(shared));
  assert.equal(handles, [1, 2 ** 31 - 2, 2 ** 31 - 1, 2, 3], "wrapped past the live handle 1");
  for (const h of handles) assert.is(host.imports.file_size(h), BigInt(bytes.length));
  host.close();

  // Mmf lends a handle for every map: maps go on across the wrap-around.
  const mmf = track(createMmf());
  const file = track(openFile(shared, "r+"));
  coreOf(mmf).host.nextHandle = 2 ** 31 - 5;
  const regions = [];
  for (let i = 0; i < 20; i++) regions.push(mmf.newMemoryRegion(file, MEM_READWRITE, i, 100));
  for (const [i, r] of regions.entries()) assert.is(r.data()[0], bytes[i]);
  for (const r of regions) r.close();
  assert.is(coreOf(mmf).host.handleCount, 0);
  file.close();

  // A guest's handles across the wrap-around.
  const guest = track(await loadGuest("api", { preopens: { "/data": data } }));
  internals(guest.host).nextHandle = 2 ** 31 - 2;
  const held = [];
  for (let i = 0; i < 5; i++) held.push(guest.call("holdPath", "/data/shared.bin", "r", MEM_READ_ONLY));
  assert.equal(held, [0, 1, 2, 3, 4]);
  for (const index of held) assert.is(guest.call("heldByte", index, 7n), bytes[7]);
  guest.call("closeHeld");
  guest.host.close();
});

test("openFile and grant refuse a FIFO, a device, a directory and a socket without blocking", () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  // In a child process with a timeout: an open that blocks would otherwise hang this suite.
  const script = `
    import net from "node:net";
    const { openFile, MmfHost } = await import(${JSON.stringify(join(root, "dist/host/index.js"))});
    const socketPath = ${JSON.stringify(join(dir, "sock"))};
    const server = net.createServer().listen(socketPath);
    await new Promise((r) => server.once("listening", r));
    const outcome = (fn) => { try { fn(); return "opened"; } catch (err) { return err.code + ": " + err.message; } };
    const host = new MmfHost();
    const results = {};
    for (const path of [${JSON.stringify(fifo)}, "/dev/zero", "/dev/null", ${JSON.stringify(data)}, socketPath]) {
      for (const flags of ["r", "r+", "w+"]) results[path + " openFile " + flags] = outcome(() => openFile(path, flags));
      for (const flags of ["r", "r+"]) results[path + " grant " + flags] = outcome(() => host.grant(path, flags));
    }
    host.close();
    server.close();
    console.log(JSON.stringify(results));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.is(child.signal, null, `the opens blocked (killed by ${child.signal})`);
  assert.is(child.status, 0, child.stderr);
  const results = JSON.parse(child.stdout);
  for (const [what, result] of Object.entries(results)) {
    // A directory opened for writing: open(2) itself answers EISDIR.
    assert.ok(/^EINVAL: .*(not a regular file|EISDIR)/.test(result), `${what}: ${result}`);
  }
  console.log(
    `  [${backend}] ${Object.keys(results).length} opens of a FIFO, devices, a directory and a socket: each refused at once, e.g. ${results[`${fifo} openFile r`]}`,
  );
});

test.run();
