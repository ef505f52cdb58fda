// Loads the N-API helper through node-gyp-build: a local build (build/Release, e.g. after
// `npm rebuild` or `node-gyp rebuild`) first, else the prebuilt binary shipped for this platform
// (prebuilds/<platform>-<arch>/wasm-mmf.<libc>.node). N-API is ABI-stable: one binary serves every Node.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Backend, GuardStats } from "./backend.js";
import { MmfError } from "./errors.js";

export interface NativeHelper extends Backend {
  /** openBeneath by the component walk that stands in for openat2 on older kernels. */
  openBeneathWalk(dirfd: number, path: string, mode: number): number;
  guardStats(): GuardStats;
  /** The most live mappings the whole process may hold; 0 or a negated errno. */
  setMappingLimit(limit: number): number;
  /** Puts the SIGBUS handler back on top if something replaced it; 0 or a negated errno. */
  installGuard(): number;
  merge(view: Uint8Array, addr: number, len: number): number;
  /** Closes the guard's idle descriptor of the file open as `fd`, before the file's own is closed. */
  forgetFile(fd: number): number;
  /** Closes the guard's idle descriptors unused for 2 s (all with `all`); the number still idle. */
  trimIdleFiles(all: boolean): number;
  lock(view: Uint8Array, addr: number, len: number, lock: boolean): number;
  residency(view: Uint8Array, addr: number, len: number, vecAddr: number): number;
  remap(view: Uint8Array, addr: number, len: number, newAddr: number, newLen: number): number;
}

/** The helper's own exports: lock and unlock are two functions there (host/native/region_ops.c). */
type Binding = Omit<NativeHelper, "name" | "needsWriteBackAtExit" | "lock"> & {
  lock(view: Uint8Array, addr: number, len: number): number;
  unlock(view: Uint8Array, addr: number, len: number): number;
};

/** The package root: dist/host/ is two levels down. */
const packageRoot = fileURLToPath(new URL("../..", import.meta.url));

let loaded: NativeHelper | undefined;

/** The native helper; throws if no build or prebuild loads here. */
export function nativeHelper(): NativeHelper {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const binding = load(packageRoot) as Binding;
    const budget = process.env.MMF_PROCESS_MAPPINGS;
    if (budget !== undefined && binding.setMappingLimit(Number(budget)) !== 0) {
      throw new MmfError("EINVAL", `MMF_PROCESS_MAPPINGS must be an integer from 1 to 1048576, got ${JSON.stringify(budget)}`);
    }
    keepGuardOnTop(binding);
    loaded = {
      ...binding,
      name: "native",
      needsWriteBackAtExit: false,
      unmap: trimmingLater(binding),
      lock: (view, addr, len, lock) => (lock ? binding.lock(view, addr, len) : binding.unlock(view, addr, len)),
    };
  }
  return loaded;
}

/**
 * Before the last descriptor of a file is closed (MappedFile.close): the guard may keep one of its
 * own for the file's next map, which would keep the file (and its file system) busy a while.
 */
export function forgetFile(fd: number): void {
  loaded?.forgetFile(fd);
}

/**
 * The helper's unmap, which also has the guard's idle descriptors (kept for the next map of the
 * same file) closed once unused for 2 s, by a timer that keeps no process alive.
 */
function trimmingLater(binding: Pick<NativeHelper, "unmap" | "trimIdleFiles">): NativeHelper["unmap"] {
  // biome-ignore lint/correctness/noUnusedVariables: read by `timer ??=` below
  let timer: NodeJS.Timeout | undefined;
  const trim = () => {
    timer = binding.trimIdleFiles(false) > 0 ? setTimeout(trim, IDLE_CHECK_MS).unref() : undefined;
  };
  return (view, addr, len) => {
    const rc = binding.unmap(view, addr, len);
    timer ??= setTimeout(trim, IDLE_CHECK_MS).unref();
    return rc;
  };
}

/** How often idle descriptors are looked at (they go after 2 s unused: host/native/truncation_guard.c). */
const IDLE_CHECK_MS = 1000;

/**
 * A process.on("SIGBUS") listener makes libuv install its own handler over ours, and removing the
 * last one resets SIGBUS to the default action: either way a truncated file would then kill the
 * process (or hang it in a loop of faults). Node starts and stops listening in its own
 * newListener/removeListener listeners, registered before ours, so ours run after libuv changed
 * the handler and put the guard back on top; it chains to what it displaced. (The helper also
 * checks at every map, for handlers changed by other native code.)
 */
function keepGuardOnTop(binding: Pick<NativeHelper, "installGuard">): void {
  const reinstall = (event: string | symbol) => {
    if (event === "SIGBUS") binding.installGuard();
  };
  process.on("newListener", reinstall);
  process.on("removeListener", reinstall);
}
