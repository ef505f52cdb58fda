// Compiles the AssemblyScript guests: examples/NAME/guest.ts to dist/examples/NAME.wasm and
// test/guests/NAME.ts to dist/test-guests/NAME.wasm. Guests import "wasm-mmf/assembly" by
// package name, as a guest in another project would: dist/asc-packages/wasm-mmf links back to
// this package and is handed to asc as --path.
import asc from "assemblyscript/asc";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const packages = join(root, "dist/asc-packages");
mkdirSync(packages, { recursive: true });
const link = join(packages, "wasm-mmf");
if (!existsSync(link)) symlinkSync(relative(packages, root), link);

const guests = [];
for (const name of readdirSync(join(root, "examples"))) {
  const entry = join("examples", name, "guest.ts");
  if (existsSync(join(root, entry))) guests.push([entry, `dist/examples/${name}.wasm`]);
}
for (const file of readdirSync(join(root, "test/guests"))) {
  if (file.endsWith(".ts")) guests.push([join("test/guests", file), `dist/test-guests/${file.replace(/\.ts$/, ".wasm")}`]);
}
// The benchmark guest, also as a pure-WASI reactor (fd_pread instead of mmap) for `npm run bench`.
guests.push(["bench/guest.ts", "dist/bench/guest.wasm"]);
const wasiShim = "node_modules/@assemblyscript/wasi-shim/assembly";
const wasiUse = ["ASC_WASI=1", "abort=wasi_abort", "trace=wasi_trace", "seed=wasi_seed", "MMF_WASI_BACKEND=1"];
guests.push(["bench/guest.ts", "dist/bench/guest-wasi.wasm", ["--lib", wasiShim, ...wasiUse.flatMap((u) => ["--use", u])]]);

for (const [entry, outFile, extra = []] of guests) {
  const { error } = await asc.main([entry, "--outFile", outFile, "--path", relative(root, packages), "--config", "scripts/guests.asconfig.json", ...extra], {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (error) {
    console.error(`${entry}: ${error.message}`);
    process.exitCode = 1;
  }
}
