// Compiles the C guests with clang for wasm32-wasi (scripts/wasi-clang.mjs): examples/NAME/guest.c
// to dist/examples/NAME.wasm and test/guests/NAME.c to dist/test-guests/NAME.wasm, against
// include/mmf.h. Without such a clang the rest of the build goes on, and the tests that need the
// guests say they skipped and why.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findWasiClang, TARGET_FLAGS } from "./wasi-clang.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const guests = [];
for (const name of readdirSync(join(root, "examples"))) {
  const entry = join("examples", name, "guest.c");
  if (existsSync(join(root, entry))) guests.push([entry, `dist/examples/${name}.wasm`]);
}
for (const file of readdirSync(join(root, "test/guests"))) {
  // Test guests are reactors: no main, their exports called by the tests.
  if (file.endsWith(".c")) guests.push([join("test/guests", file), `dist/test-guests/${file.replace(/\.c$/, ".wasm")}`, ["-mexec-model=reactor"]]);
}

const { clang, skip } = findWasiClang();
if (skip) {
  console.warn(`wasm-mmf: the C guests (${guests.map(([entry]) => entry).join(", ")}) are not built: ${skip}`);
} else {
  for (const [entry, out, extra = []] of guests) {
    mkdirSync(join(root, out, ".."), { recursive: true });
    const build = spawnSync(clang, [...TARGET_FLAGS, ...extra, "-Iinclude", "-o", out, entry], { cwd: root, stdio: "inherit" });
    if (build.status !== 0) {
      console.error(`${entry}: ${clang} failed (${build.error?.message ?? `exit code ${build.status}`})`);
      process.exitCode = 1;
    }
  }
}
