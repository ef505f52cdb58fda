// Finds a clang that builds C guests for wasm32-wasi (wasi-libc and its compiler-rt builtins
// included): $CLANG, else clang-14, else clang. Without one, says why and how to get one, so that
// the build warns and the tests report a skip instead of passing silently.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const INSTALL = "apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32";
/** The flags every C guest is built with. */
export const TARGET_FLAGS = ["--target=wasm32-wasi", "-O2", "-msimd128", "-Wall", "-Wextra", "-Werror"];

let found;

/** { clang } for a clang that links a wasm32-wasi program, or { skip: reason }. */
export function findWasiClang() {
  if (found) return found;
  const candidates = process.env.CLANG ? [process.env.CLANG] : ["clang-14", "clang"];
  const dir = mkdtempSync(join(tmpdir(), "mmf-wasi-clang-"));
  const reasons = [];
  try {
    writeFileSync(join(dir, "probe.c"), "#include <stdlib.h>\nint main(void) { return malloc(1) == 0; }\n");
    for (const clang of candidates) {
      const probe = spawnSync(clang, [...TARGET_FLAGS, "-o", join(dir, "probe.wasm"), join(dir, "probe.c")], { encoding: "utf8" });
      if (probe.status === 0) return (found = { clang });
      reasons.push(`${clang}: ${probe.error ? (probe.error.code ?? probe.error.message) : probe.stderr.trim().split("\n")[0]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return (found = { skip: `no clang that builds for wasm32-wasi (${reasons.join("; ")}); on Debian: ${INSTALL}` });
}

// As a command (for the Python suites): prints {"clang": ...} or {"skip": ...}.
if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(findWasiClang()));
