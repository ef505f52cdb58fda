// @ts-check
// The package as a downstream user gets it: `npm pack`, then `npm install` of the tarball into a
// fresh project with install scripts blocked. Its contents, import and require, the prebuilt
// helper, the shipped types in a strict consumer, @arethetypeswrong/cli, and `node-gyp rebuild`
// inside the installed package. (Backend-independent: test/run.mjs runs it once.)
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root, tempDir } from "./helpers.mjs";

const test = suite("package");

const work = tempDir("mmf-package-");
const consumer = join(work, "consumer");
const installed = join(consumer, "node_modules/wasm-mmf");
/** @type {NodeJS.ProcessEnv} */
const env = { ...process.env, MMF_BACKEND: "", NO_COLOR: "1", FORCE_COLOR: "0" };
delete env.WASM_MMF_PREBUILD;

// --ignore-scripts: the tree is built already (npm run build); packing must not rebuild it.
const [packed] = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }));
const tarball = join(work, packed.filename);
const files = packed.files.map((f) => f.path);

const run = (file, args, options = {}) => spawnSync(file, args, { cwd: consumer, env, encoding: "utf8", ...options });

test("the tarball holds the built package, its prebuilt helpers and license, and no tests or benchmarks", () => {
  console.log(
    `  ${packed.filename}: ${(packed.size / 1000).toFixed(1)} kB packed, ${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked, ${files.length} files`,
  );
  for (const file of [
    "LICENSE",
    "README.md",
    "package.json",
    "dist/host/index.js",
    "dist/host/index.d.ts",
    "dist/host/cli.js",
    "dist/mmf.wasm",
    "prebuilds/linux-x64/wasm-mmf.glibc.node",
    "binding.gyp",
    "host/native/mmf_native.c",
    "scripts/install-native.mjs",
    "assembly/index.ts",
    "docs/abi.md",
    "include/mmf.h",
    "include/mmf_abi.h",
    "abi/abi.json",
    "assembly/abi.ts",
  ]) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  for (const file of files) {
    assert.not.match(file, /^(test|bench|examples|build)\/|^dist\/(test-guests|wasi|bench|examples|asc-packages)\//, `${file} does not ship`);
    // TypeScript sources stay home; AssemblyScript's (assembly/) are what guests compile.
    assert.ok(!file.endsWith(".ts") || file.endsWith(".d.ts") || file.startsWith("assembly/"), `${file} does not ship`);
  }
  // Only what was tested ships: prebuilds/ holds what the build put there after its tests.
  const prebuilt = readdirSync(join(root, "prebuilds")).flatMap((dir) => readdirSync(join(root, "prebuilds", dir)).map((f) => `prebuilds/${dir}/${f}`));
  assert.equal(files.filter((f) => f.startsWith("prebuilds/")).sort(), prebuilt.sort());
  const license = readFileSync(join(root, "LICENSE"), "utf8");
  assert.match(license, /^MIT License/);
  assert.is(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).license, "MIT");
});

test("installed with install scripts blocked, import and require both get the native backend from the prebuilt helper", () => {
  mkdirSync(consumer, { recursive: true });
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  const install = run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", tarball]);
  assert.is(install.status, 0, install.stderr);
  assert.not.ok(existsSync(join(installed, "build")), "nothing was compiled");
  // biome-ignore lint/correctness/noUnusedFunctionParameters: `api` is a name inside the probe's source text
  const probe = (api) => `const path = ${JSON.stringify(join(work, "probe.bin"))};
    require("node:fs").writeFileSync(path, "hello");
    const mmf = api.createMmf();
    const region = mmf.newMemoryRegion(api.openFile(path), api.MEM_READ_ONLY, 1, 3);
    console.log(mmf.backend, Buffer.from(region.data()).toString());`;
  const cjs = run(process.execPath, ["-e", `const api = require("wasm-mmf"); ${probe("api")} console.log(require("wasm-mmf/package.json").version);`]);
  assert.is(cjs.status, 0, cjs.stderr);
  assert.is(cjs.stdout, `native ell\n${packed.version}\n`);
  assert.not.match(cjs.stderr, /wasm-mmf/);
  writeFileSync(
    join(consumer, "probe.mjs"),
    `import * as api from "wasm-mmf"; import { createRequire } from "node:module"; const require = createRequire(import.meta.url); ${probe("api")}`,
  );
  const esm = run(process.execPath, ["probe.mjs"]);
  assert.is(esm.status, 0, esm.stderr);
  assert.is(esm.stdout, "native ell\n");
  assert.is(esm.stderr, "");
  const demo = run(join(consumer, "node_modules/.bin/mmf"), ["demo", "--size", "2"]);
  assert.is(demo.status, 0, demo.stderr);
  assert.match(demo.stdout, /backend: native/);
  assert.match(demo.stdout, /verified/);
});

test("the shipped types compile in a strict consumer (skipLibCheck false, no DOM lib), from ESM and CommonJS", () => {
  const src = join(consumer, "src");
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ["node"],
        typeRoots: [join(root, "node_modules/@types")],
        noUnusedLocals: true,
        exactOptionalPropertyTypes: true,
      },
      include: ["src"],
    }),
  );
  const body = `
const mode: RegionMode = MEM_READWRITE;
const backend: BackendOption = "auto";
const hostOptions: MmfHostOptions = { backend, preopens: { "/data": "." } };
export function use(path: string): number {
  using mmf = createMmf({ backend });
  using file = openFile(path, "r+");
  using region = mmf.newMemoryRegion(file, mode, 0n, 16, { populate: true });
  const r2 = newMemoryRegion(file, MEM_READ_ONLY);
  const stream: Readable = region.stream({ start: 0, end: 8, chunkSize: 4, closeRegion: false });
  stream.destroy();
  r2.close();
  // @ts-expect-error 3 is not one of the MEM_* constants
  mmf.newMemoryRegion(file, 3);
  const host = new MmfHost(hostOptions);
  host.attach(mmf.memory);
  host.close();
  const bytes: Uint8Array = region.data();
  new MemoryRegionWriter(region).writeAt(bytes.subarray(0, 1), 0);
  const err: MmfError | undefined = undefined;
  return new MemoryRegionReader(region).readAt(new Uint8Array(4), 0) + (err ? 1 : 0) + stats().regions + region.mode() + (MEM_READ_PRIVATE | MEM_COPY_ON_WRITE);
}
`;
  const names =
    "createMmf, newMemoryRegion, openFile, stats, MmfHost, MmfError, MemoryRegionReader, MemoryRegionWriter, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE, type RegionMode, type BackendOption, type MmfHostOptions";
  writeFileSync(join(src, "esm.mts"), `import { ${names} } from "wasm-mmf";\nimport type { Readable } from "node:stream";\n${body}`);
  writeFileSync(join(src, "cjs.cts"), `import { ${names} } from "wasm-mmf";\nimport type { Readable } from "node:stream";\n${body}`);
  const tsc = run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", consumer]);
  assert.is(tsc.status, 0, tsc.stdout + tsc.stderr);
});

test("@arethetypeswrong/cli finds no problem in the tarball", () => {
  // Ignored, with reasons: require() of this ES module works on every supported Node (>= 20.19,
  // engines) and TypeScript >= 5.8 types it (the CommonJS consumer above), but attw 0.18 judges
  // with TypeScript 5.6; ./assembly is AssemblyScript source for asc, not a TypeScript entry.
  const attw = run(
    process.execPath,
    [
      join(root, "node_modules/@arethetypeswrong/cli/dist/index.js"),
      tarball,
      "--ignore-rules",
      "cjs-resolves-to-esm",
      "--exclude-entrypoints",
      "./assembly",
      "--format",
      "ascii",
    ],
    { cwd: root },
  );
  assert.is(attw.status, 0, attw.stdout + attw.stderr);
  assert.match(attw.stdout, /No problems found/);
});

test("node-gyp rebuild inside the installed package leaves it working, on its own build", () => {
  const pkg = JSON.parse(readFileSync(join(consumer, "package.json"), "utf8"));
  pkg.scripts = { "rebuild-helper": "cd node_modules/wasm-mmf && node-gyp rebuild" };
  writeFileSync(join(consumer, "package.json"), JSON.stringify(pkg));
  const rebuild = run("npm", ["run", "rebuild-helper"]);
  assert.is(rebuild.status, 0, rebuild.stdout + rebuild.stderr);
  assert.ok(existsSync(join(installed, "build/Release/mmf_native.node")));
  assert.ok(existsSync(join(installed, "dist/host/index.js")) && existsSync(join(installed, "dist/mmf.wasm")), "dist/ survives");
  const loaded = run(process.execPath, ["-p", `require("node-gyp-build").path(${JSON.stringify(installed)})`]);
  assert.is(loaded.stdout.trim(), join(installed, "build/Release/mmf_native.node"), "the local build is the one loaded");
  const demo = run(join(consumer, "node_modules/.bin/mmf"), ["demo", "--size", "2"]);
  assert.is(demo.status, 0, demo.stderr);
  assert.match(demo.stdout, /backend: native/);
  assert.is(demo.stderr, "");
});

test.run();
