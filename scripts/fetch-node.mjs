// Fetches an official Node.js binary from the npm registry's node-linux-<arch> package (npm pack)
// into a cache, once: ${XDG_CACHE_HOME:-~/.cache}/wasm-mmf/node-<version>-linux-<arch>/.
// Returns the path of its bin/node. Used by the Node-version matrix and the arm64 prebuild.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "wasm-mmf");

/** bin/node of the newest release matching `range` (e.g. "24") for `arch` ("x64" or "arm64"). */
export function fetchNode(range, arch = "x64") {
  const spec = `node-linux-${arch}@${range}`;
  // The exact version first, so the cache is keyed by it and a new release is fetched when it appears.
  const version = JSON.parse(execFileSync("npm", ["view", spec, "version", "--json"], { encoding: "utf8" }));
  const exact = Array.isArray(version) ? version.at(-1) : version;
  const dir = join(cacheDir, `node-${exact}-linux-${arch}`);
  const node = join(dir, "bin", "node");
  if (existsSync(node)) return node;
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, ".fetch-"));
  try {
    execFileSync("npm", ["pack", `node-linux-${arch}@${exact}`, "--pack-destination", work, "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    execFileSync("tar", ["xzf", join(work, tarball), "-C", work]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, "package"), dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return node;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(fetchNode(process.argv[2] ?? "24", process.argv[3] ?? "x64"));
}
