// @ts-check
// The ABI's one source (issue 12): abi/abi.json, from which scripts/gen-abi.mjs writes every copy
// of its numbers. The generated files are current; ABI version 2's numbers are kept; the package
// exports them and every compiled copy answers the same; each advice name reaches madvise as
// itself. (Backend-independent: test/run.mjs runs it once, on the native backend.)
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import {
  ABI_VERSION,
  AdviceCodes,
  ErrorCodes,
  ErrorTexts,
  MapFlags,
  OpenModes,
  MEM_COPY_ON_WRITE,
  MEM_READ_ONLY,
  MEM_READ_PRIVATE,
  MEM_READWRITE,
  MmfError,
  MmfHost,
  createMmf,
  openFile,
} from "../dist/host/index.js";
import { codeFromErrno, errorFromCode } from "../dist/host/errors.js";
import { generate } from "../scripts/gen-abi.mjs";
import { loadGuest, realMappingTest, root, writeFile, tracked } from "./helpers.mjs";

const test = suite("abi");
const track = tracked(test);

const abi = JSON.parse(readFileSync(join(root, "abi/abi.json"), "utf8"));
const byName = (list, key = "value") => Object.fromEntries(list.map((item) => [item.name, item[key]]));

test("the generated files are current: regenerated into a temporary folder, each is the same as the tree's", () => {
  const out = track.dir("mmf-abi-");
  execFileSync(process.execPath, [join(root, "scripts/gen-abi.mjs"), "--out", out]);
  const paths = Object.keys(generate());
  for (const path of paths) {
    assert.ok(
      readFileSync(join(out, path), "utf8") === readFileSync(join(root, path), "utf8"),
      `${path} is not current: run \`npm run build:abi\` (node scripts/gen-abi.mjs)`,
    );
  }
  console.log(`  ${paths.length} generated files current: ${paths.join(", ")}`);
});

// The only code, flag, mode and advice numbers a test writes: those of ABI version 2, which
// compiled guests hold. The table may add to them; changing one is a new ABI, and a new version.
const VERSION_2 = {
  errors: { EINVAL: 1, ERANGE: 2, EACCES: 3, EBADF: 4, ECLOSED: 5, ENOMEM: 6, EIO: 7, ETRUNCATED: 8, ENOENT: 9, ENOSPC: 10 },
  mapFlags: { SHARED: 1, POPULATE: 2, READ_ONLY: 4 },
  openModes: { READ: 0, READ_WRITE: 1, CREATE: 2 },
  advice: { NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, HUGEPAGE: 4 },
  regionModes: { MEM_READ_ONLY: 1, MEM_READ_PRIVATE: 2, MEM_READWRITE: 4, MEM_COPY_ON_WRITE: 8 },
  regionOptions: { REGION_POPULATE: 1 },
  imports: ["page_size", "file_size", "open", "close", "map", "unmap", "sync", "advise", "watch", "fault_cause", "truncated"],
};

test("ABI version 2's numbers are all still there, unchanged: compiled guests hold them", () => {
  assert.ok(abi.version >= 2);
  for (const [group, numbers] of Object.entries(VERSION_2)) {
    if (group === "imports") continue;
    const table = byName(abi[group], group === "errors" ? "code" : "value");
    for (const [name, number] of Object.entries(numbers)) assert.is(table[name], number, `${group} ${name}`);
  }
  const imports = abi.imports.map((f) => f.name);
  for (const name of VERSION_2.imports) assert.ok(imports.includes(name), `import ${name}`);
});

test("the package exports the table: ErrorCodes, ErrorTexts, MapFlags, OpenModes, AdviceCodes, ABI_VERSION, MEM_*", () => {
  assert.is(ABI_VERSION, abi.version);
  assert.equal({ ...ErrorCodes }, byName(abi.errors, "code"));
  assert.equal({ ...ErrorTexts }, byName(abi.errors, "text"));
  assert.equal({ ...MapFlags }, byName(abi.mapFlags));
  assert.equal({ ...OpenModes }, byName(abi.openModes));
  assert.equal({ ...AdviceCodes }, byName(abi.advice));
  assert.equal({ MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE }, byName(abi.regionModes));
  for (const frozen of [ErrorCodes, ErrorTexts, MapFlags, OpenModes, AdviceCodes]) assert.ok(Object.isFrozen(frozen));
});

test("one text per code: MmfError, the AssemblyScript library's errorName and errorMessage, and the table agree", async () => {
  const { call, exports, host } = track(await loadGuest("api"));
  for (const e of abi.errors) {
    const err = errorFromCode("op", -e.code);
    assert.instance(err, MmfError);
    assert.is(err.code, e.name);
    assert.is(err.message, `op: ${e.text} (${e.name})`);
    for (const code of [e.code, -e.code]) {
      assert.is(exports.__getString(call("errorNameOf", code)), e.name);
      assert.is(exports.__getString(call("errorMessageOf", code)), e.text);
    }
  }
  host.close();
});

test("each errno becomes the code the table names (ENXIO, a socket or a device, is EINVAL), any other EIO", () => {
  let checked = 0;
  for (const e of abi.errors) {
    for (const name of e.errnos) {
      if (!(name in constants.errno)) continue; // WASI's ENOTCAPABLE
      assert.is(codeFromErrno(-constants.errno[name]), -e.code, name);
      checked++;
    }
  }
  assert.is(codeFromErrno(-constants.errno.ENXIO), -ErrorCodes.EINVAL);
  for (const other of ["EINTR", "ESPIPE", "EBUSY", "ENOSYS"]) assert.is(codeFromErrno(-constants.errno[other]), -ErrorCodes.EIO, other);
  assert.ok(checked > 20);
});

test("MmfHost supplies exactly the table's imports, and every compiled guest imports from the table only", () => {
  const names = abi.imports.map((f) => f.name).sort();
  const host = track(new MmfHost());
  assert.equal(Object.keys(host.imports).sort(), names);
  host.close();
  const modules = [
    "dist/mmf.wasm",
    "dist/examples/line-count.wasm",
    "dist/test-guests/raw.wasm",
    "dist/test-guests/api.wasm",
    "dist/examples/c-line-count.wasm",
    "dist/test-guests/heap.wasm",
  ].filter((path) => existsSync(join(root, path)));
  for (const path of modules) {
    const imported = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(join(root, path)))).filter((i) => i.module === "mmf");
    assert.ok(imported.length > 0, `${path} imports mmf`);
    for (const { name } of imported) assert.ok(names.includes(name), `${path} imports mmf.${name}, which is not in the table`);
  }
  console.log(`  ${modules.length} compiled modules checked: ${modules.join(", ")}`);
});

/** The VmFlags (smaps) of the area that maps `path`. */
function vmFlags(path) {
  const areas = readFileSync("/proc/self/smaps", "utf8")
    .split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)
    .filter((area) => area.includes(path));
  assert.is(areas.length, 1, `one area maps ${path}`);
  return (areas[0].match(/^VmFlags:(.*)$/m)?.[1] ?? "").trim().split(/\s+/);
}

/** Which of the advice flags (rr random, sr sequential, hg hugepage) an area carries. */
const adviceFlags = (path) =>
  vmFlags(path)
    .filter((flag) => ["rr", "sr", "hg"].includes(flag))
    .join(" ");

realMappingTest(test, "each advice reaches madvise as itself: raw imports and MemoryRegion.advise (smaps VmFlags)", () => {
  const dir = track.dir();
  const path = track.path(writeFile(dir, "advice.bin", new Uint8Array(2 ** 21)));
  // After RANDOM (rr), NORMAL clears the flag and WILLNEED leaves it: every advice tells itself apart.
  const expected = { NORMAL: "", RANDOM: "rr", SEQUENTIAL: "sr", WILLNEED: "rr", HUGEPAGE: "rr hg" };
  const memory = new WebAssembly.Memory({ initial: 128 });
  const host = track(new MmfHost());
  host.attach(memory);
  const handle = host.grant(path, "r");
  const at = 64 * 65536;
  for (const [name, flags] of Object.entries(expected)) {
    assert.is(host.imports.map(handle, 0n, at, 2 ** 21, 0), 0);
    assert.is(host.imports.advise(at, 2 ** 21, AdviceCodes.RANDOM), 0);
    assert.is(host.imports.advise(at, 2 ** 21, AdviceCodes[name]), 0);
    assert.is(adviceFlags(path), flags, `raw advise ${name}`);
    assert.is(host.imports.unmap(at, 2 ** 21), 0);
  }
  host.close();
  const mmf = track(createMmf());
  const file = track(openFile(path));
  for (const [name, flags] of Object.entries(expected)) {
    const region = mmf.newMemoryRegion(file, MEM_READ_ONLY);
    region.advise("random");
    region.advise(/** @type {import("../dist/host/index.js").Advice} */ (name.toLowerCase()));
    assert.is(adviceFlags(path), flags, `MemoryRegion.advise("${name.toLowerCase()}")`);
    region.close();
  }
  file.close();
});

test.run();
