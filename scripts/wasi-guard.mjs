// node:wasi can crash when the garbage collector runs inside fd_pread on Node 20 and 22
// (nodejs/node#46777); --no-turbo-fast-api-calls keeps the WASI calls off V8's fast-call path.
// Node 24 and later do not crash, and run without the flag. Every node:wasi use goes through here.
import { spawnSync } from "node:child_process";

const GUARD = "--no-turbo-fast-api-calls";

/** The flags a Node of `version` needs to run node:wasi safely. */
export function wasiGuardFlags(version = process.versions.node) {
  return Number(version.split(".")[0]) < 24 ? [GUARD] : [];
}

/**
 * Re-runs the current script with the guard when this Node needs it and it is missing, and exits
 * with the child's status; returns (does nothing) otherwise. Call it before any node:wasi use.
 */
export function rerunWithWasiGuard() {
  const missing = wasiGuardFlags().filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return;
  const child = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
