// The install step: builds the native helper with node-gyp. Without a compiler (or on another OS)
// the build fails, and the package still installs: the host then runs on the emulated backend.
import { spawnSync } from "node:child_process";

const build = spawnSync("node-gyp", ["configure", "build"], { stdio: "inherit", shell: process.platform === "win32" });
if (build.status !== 0) {
  console.warn("wasm-mmf: the native helper could not be built; the emulated backend (copies instead of mmap) will be used.");
}
