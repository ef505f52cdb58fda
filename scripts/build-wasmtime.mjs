// Builds dist/wasmtime/libmmf_wasmtime.so for the Wasmtime host (host/wasmtime/): its mapping
// calls (host/wasmtime/mmf_wasmtime.c) with the Node helper's truncation guard
// (host/native/truncation_guard.c). Only the Wasmtime host needs it, so a machine without a C
// compiler (or not on Linux) gets a warning and the rest of the build goes on.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = "dist/wasmtime/libmmf_wasmtime.so";
if (process.platform !== "linux") {
  console.warn(`wasm-mmf: ${out} is built on Linux only; the Wasmtime host is not available here.`);
} else {
  mkdirSync(`${root}dist/wasmtime`, { recursive: true });
  const cc = process.env.CC || "cc";
  const args = [
    "-O2",
    "-Wall",
    "-Wextra",
    "-shared",
    "-fPIC",
    "-fvisibility=hidden",
    "-pthread",
    "-Ihost/native",
    "-Iinclude",
    "-o",
    out,
    "host/native/truncation_guard.c",
    "host/wasmtime/mmf_wasmtime.c",
  ];
  const build = spawnSync(cc, args, { cwd: root, stdio: "inherit" });
  if (build.status !== 0) {
    console.warn(`wasm-mmf: ${cc} could not build ${out} (${build.error?.message ?? `exit code ${build.status}`}); the Wasmtime host will not be available.`);
  }
}
