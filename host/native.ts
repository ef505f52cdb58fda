// Loads the N-API helper built by node-gyp (build/Release/mmf_native.node).
import { createRequire } from "node:module";
import type { Backend } from "./backend.js";

export interface NativeHelper extends Backend {
  /** openBeneath by the component walk that stands in for openat2 on older kernels. */
  openBeneathWalk(dirfd: number, path: string, mode: number): number;
}

let loaded: NativeHelper | undefined;

/** The native helper; throws if it was not built. */
export function nativeHelper(): NativeHelper {
  if (!loaded) {
    const binding = createRequire(import.meta.url)("../../build/Release/mmf_native.node") as Omit<NativeHelper, "name">;
    loaded = { ...binding, name: "native" };
  }
  return loaded;
}
