// Loads the N-API helper through node-gyp-build: a local build (build/Release, e.g. after
// `npm rebuild` or `node-gyp rebuild`) first, else the prebuilt binary shipped for this platform
// (prebuilds/<platform>-<arch>/wasm-mmf.<libc>.node). N-API is ABI-stable: one binary serves every Node.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Backend } from "./backend.js";

export interface NativeHelper extends Backend {
  /** openBeneath by the component walk that stands in for openat2 on older kernels. */
  openBeneathWalk(dirfd: number, path: string, mode: number): number;
}

/** The package root: dist/host/ is two levels down. */
const packageRoot = fileURLToPath(new URL("../..", import.meta.url));

let loaded: NativeHelper | undefined;

/** The native helper; throws if no build or prebuild loads here. */
export function nativeHelper(): NativeHelper {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const binding = load(packageRoot) as Omit<NativeHelper, "name">;
    loaded = { ...binding, name: "native" };
  }
  return loaded;
}
