// Whether the build is older than its sources: test/run.mjs refuses to test a stale build (a
// source edited, or a branch checked out, since the last `npm run build`), which would test code
// that is not the one in the tree. Each build output is listed with the sources it is built from
// (the build steps of package.json); an output older than the newest of its sources is stale.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every file under `path` (a file or a folder), relative to root. */
function filesUnder(root, path) {
  if (!existsSync(join(root, path))) return [];
  if (!statSync(join(root, path)).isDirectory()) return [path];
  const entries = readdirSync(join(root, path), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  return entries.flatMap((entry) => (entry.isDirectory() ? filesUnder(root, `${path}/${entry.name}`) : [`${path}/${entry.name}`]));
}

/** The native helper node-gyp-build loads: a local build first, else this platform's prebuilt one. */
function nativeHelper(root) {
  const local = "build/Release/mmf_native.node";
  if (existsSync(join(root, local))) return local;
  const prebuilds = `prebuilds/${process.platform}-${process.arch}`;
  const prebuilt = filesUnder(root, prebuilds).find((file) => file.endsWith(".node"));
  return prebuilt ?? `${prebuilds}/wasm-mmf.glibc.node`;
}

/**
 * Each build output with its sources; `optional`: a step that is skipped without its compiler
 * (clang for wasm32-wasi, cc), whose absence the runs that need it report themselves.
 */
function targets(root) {
  const core = ["assembly", "asconfig.json"];
  const guest = ["assembly", "scripts/guests.asconfig.json"];
  const list = [
    { output: "dist/mmf.wasm", sources: core },
    { output: nativeHelper(root), sources: ["host/native", "include/mmf_abi.h", "binding.gyp"] },
    { output: "dist/wasi/mmf-tests.wasm", sources: ["test/wasi/suite.ts", ...core] },
    { output: "dist/bench/guest.wasm", sources: ["bench/guest.ts", ...guest] },
    {
      output: "dist/wasmtime/libmmf_wasmtime.so",
      sources: ["host/native/truncation_guard.c", "host/native/truncation_guard.h", "host/wasmtime/mmf_wasmtime.c", "include/mmf_abi.h"],
      optional: true,
    },
  ];
  for (const ts of filesUnder(root, "host").filter((file) => file.endsWith(".ts"))) {
    list.push({ output: ts.replace(/^host\//, "dist/host/").replace(/\.ts$/, ".js"), sources: [ts, "tsconfig.json"] });
  }
  for (const file of filesUnder(root, "test/guests")) {
    const wasm = file.replace(/^test\/guests\/(.*)\.[a-z]+$/, "dist/test-guests/$1.wasm");
    if (file.endsWith(".ts")) list.push({ output: wasm, sources: [file, ...guest] });
    if (file.endsWith(".c")) list.push({ output: wasm, sources: [file, "include"], optional: true });
  }
  for (const name of existsSync(join(root, "examples")) ? readdirSync(join(root, "examples")).sort() : []) {
    const wasm = `dist/examples/${name}.wasm`;
    if (existsSync(join(root, "examples", name, "guest.ts"))) list.push({ output: wasm, sources: [`examples/${name}/guest.ts`, ...guest] });
    if (existsSync(join(root, "examples", name, "guest.c"))) list.push({ output: wasm, sources: [`examples/${name}/guest.c`, "include"], optional: true });
  }
  return list;
}

/**
 * What is stale in the build at `root`: one line per output that is missing (and not optional) or
 * older than a source it is built from, naming the newest such source. Empty when all is current.
 */
export function staleBuild(root) {
  const mtime = (file) => statSync(join(root, file)).mtimeMs;
  const stale = [];
  for (const { output, sources, optional } of targets(root)) {
    if (!existsSync(join(root, output))) {
      // Required only where its first source (the step's entry point) is there.
      if (!optional && existsSync(join(root, sources[0]))) stale.push(`${output} is missing`);
      continue;
    }
    const built = mtime(output);
    const newer = sources.flatMap((source) => filesUnder(root, source)).filter((file) => mtime(file) > built);
    if (newer.length > 0) {
      const newest = newer.reduce((a, b) => (mtime(b) > mtime(a) ? b : a));
      stale.push(`${output} is older than ${newest}${newer.length > 1 ? ` (and ${newer.length - 1} more of its sources)` : ""}`);
    }
  }
  return stale;
}
