// The install step. A prebuilt helper for this platform that loads is used as it is (no compiler
// needed); otherwise, or with --build-from-source, the helper is compiled with node-gyp. If that
// fails too, the package still installs and the host runs on the emulated backend (copies), which
// it says loudly at run time. Package managers that skip install scripts get the prebuilt helper.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

function loadError() {
  try {
    require("node-gyp-build")(root);
    return undefined;
  } catch (err) {
    return String(err?.message ?? err).split("\n")[0];
  }
}

const fromSource = process.env.npm_config_build_from_source === "true";
const prebuiltError = fromSource ? "--build-from-source was given" : loadError();
if (prebuiltError === undefined) {
  console.log("wasm-mmf: using the prebuilt native helper");
} else {
  console.log(`wasm-mmf: no prebuilt native helper to use (${prebuiltError}); compiling it with node-gyp`);
  const build = spawnSync("node-gyp", ["rebuild"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (build.status !== 0) {
    console.warn(
      "wasm-mmf: WARNING: the native helper could not be built; the emulated backend (copies instead of mmap) will be used. " +
        "Install a C compiler, make and Python 3 (Debian/Ubuntu: apt-get install build-essential python3) and run `npm rebuild wasm-mmf --build-from-source`.",
    );
  }
}
