// Compiles the AssemblyScript guests: examples/NAME/guest.ts to build/examples/NAME.wasm and
// test/guests/NAME.ts to build/test-guests/NAME.wasm. Guests import "wasm-mmf/assembly" by
// package name, as a guest in another project would: build/asc-packages/wasm-mmf links back to
// this package and is handed to asc as --path.
import asc from "assemblyscript/asc";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const packages = join(root, "build/asc-packages");
mkdirSync(packages, { recursive: true });
const link = join(packages, "wasm-mmf");
if (!existsSync(link)) symlinkSync(relative(packages, root), link);

const guests = [];
for (const name of readdirSync(join(root, "examples"))) {
  const entry = join("examples", name, "guest.ts");
  if (existsSync(join(root, entry))) guests.push([entry, `build/examples/${name}.wasm`]);
}
for (const file of readdirSync(join(root, "test/guests"))) {
  if (file.endsWith(".ts")) guests.push([join("test/guests", file), `build/test-guests/${file.replace(/\.ts$/, ".wasm")}`]);
}

for (const [entry, outFile] of guests) {
  const { error } = await asc.main([entry, "--outFile", outFile, "--path", relative(root, packages), "--config", "scripts/guests.asconfig.json"], {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (error) {
    console.error(`${entry}: ${error.message}`);
    process.exitCode = 1;
  }
}
