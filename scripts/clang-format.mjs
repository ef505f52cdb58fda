// clang-format over the C of the native helper and the Wasmtime library (host/native/*.c, *.h,
// host/wasmtime/*.c), with the project's .clang-format: `--check` fails on any file it would
// change (npm run lint), `--write` changes them (npm run format). The binary: $CLANG_FORMAT, else
// Debian's clang-format-14 (what .ci/run installs: another version may format differently), else
// clang-format.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const mode = process.argv[2];
if (mode !== "--check" && mode !== "--write") {
  console.error("usage: node scripts/clang-format.mjs --check | --write");
  process.exit(2);
}
const sources = ["host/native", "host/wasmtime"].flatMap((dir) =>
  readdirSync(`${root}${dir}`)
    .filter((name) => /\.[ch]$/.test(name))
    .map((name) => `${dir}/${name}`),
);
const found = [process.env.CLANG_FORMAT, "clang-format-14", "clang-format"].find(
  (tool) => tool && spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0,
);
if (!found) {
  console.error("clang-format: not found; on Debian: apt-get install clang-format-14 (or set CLANG_FORMAT)");
  process.exit(1);
}
const args = mode === "--check" ? ["--dry-run", "--Werror"] : ["-i"];
const run = spawnSync(found, [...args, ...sources], { cwd: root, stdio: "inherit" });
if (run.status === 0 && mode === "--check") console.log(`clang-format: ${sources.length} C files formatted as .clang-format says`);
process.exit(run.status ?? 1);
