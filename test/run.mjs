// Runs every test/*.test.mjs in its own Node process (a crash fails only its file), once per
// backend (native, then emulated; MMF_BACKENDS=native narrows it), then the Wasmtime host's
// Python suites (test/wasmtime/test_*.py, one process each) and the WASI suite, and prints the
// summed `N passed, N failed, N skipped` line; what could not run is said just before it.
// Extra arguments select files by substring; --long runs the long reliability versions (MMF_RELIABILITY=1).
// MMF_TEST_NODE (a JSON array, e.g. ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "/path/to/node"])
// is the command that runs the suites instead of this Node (the arm64 prebuild's tests use it).
// MMF_NODE_ONLY=1 leaves out what does not depend on the Node version (the Wasmtime runs): the
// Node-version matrix sets it, since npm test already ran them once.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmtimeLibraryBuilt, wasmtimePython } from "./wasmtime-python.mjs";
import { wasiGuardFlags } from "../scripts/wasi-guard.mjs";
import { testNode } from "./helpers.mjs";

const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const long = args.includes("--long");
const filters = args.filter((a) => a !== "--long");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.mjs"))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const backends = (process.env.MMF_BACKENDS || "native,emulated").split(",");
// Suites that do not depend on the backend run in the first pass only.
const backendIndependent = new Set(["install.test.mjs", "package.test.mjs", "abi.test.mjs"]);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const backend of backends) {
  for (const file of files) {
    if (backendIndependent.has(file) && backend !== backends[0]) continue;
    const child = spawnSync(testNode.file, [...testNode.args, "--expose-gc", join(dir, file)], {
      env: { ...process.env, MMF_BACKEND: backend, NO_COLOR: "1", FORCE_COLOR: "0", ...(long ? { MMF_RELIABILITY: "1" } : {}) },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stdout.write(`\n== ${file} [${backend}]\n${child.stdout}${child.stderr}`);
    const count = (label) => Number(child.stdout.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
    // uvu's Total counts the tests that ran; Skipped ones come on top.
    const total = count("Total");
    const ok = count("Passed");
    const skip = count("Skipped") || 0;
    if (child.status === 0 && Number.isFinite(total) && Number.isFinite(ok)) {
      passed += ok;
      skipped += skip;
      failed += total - ok;
    } else {
      // A crash or signal: every test the file did not report as passed counts as failed, at least one.
      const reason = child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`;
      process.stdout.write(`!! ${file} [${backend}]: ${reason}\n`);
      const done = Number.isFinite(ok) ? ok : 0;
      passed += done;
      skipped += skip;
      failed += Math.max(1, (Number.isFinite(total) ? total : 0) - done);
    }
  }
}
const notRun = [];
const nodeOnly = process.env.MMF_NODE_ONLY === "1";

/** Adds up a child that prints its own "N passed, N failed[, N skipped]" line (WASI suite, Python suites). */
function countPlain(name, child) {
  process.stdout.write(`\n== ${name}\n${child.stdout}${child.stderr}`);
  const m = child.stdout.match(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m);
  skipped += m ? Number(m[3] ?? 0) : 0;
  if (child.status === 0 && m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  } else {
    process.stdout.write(`!! ${name}: ${child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`}\n`);
    passed += m ? Number(m[1]) : 0;
    failed += m ? Math.max(1, Number(m[2])) : 1;
  }
}

// The Wasmtime host (host/wasmtime/): Python suites, each in its own process, once (the Node
// backend does not concern them).
const pythonSuites = readdirSync(join(dir, "wasmtime"))
  .filter((f) => /^test_.*\.py$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((s) => `wasmtime/${f}`.includes(s)))
  .sort();
if (nodeOnly && pythonSuites.length > 0) notRun.push("the Wasmtime host suites: MMF_NODE_ONLY=1 (they do not depend on the Node version)");
else if (pythonSuites.length > 0) {
  const python = wasmtimePython();
  const missing = python.skip ?? (wasmtimeLibraryBuilt() ? undefined : "dist/wasmtime/libmmf_wasmtime.so is missing (`npm run build:wasmtime`, needs a C compiler)");
  if (missing) notRun.push(`the Wasmtime host suites (${pythonSuites.join(", ")}): ${missing}`);
  for (const file of missing ? [] : pythonSuites) {
    const child = spawnSync(python.python, [join(dir, "wasmtime", file)], {
      env: { ...process.env, NO_COLOR: "1", ...(long ? { MMF_RELIABILITY: "1" } : {}) },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    countPlain(`wasmtime/${file} [Wasmtime host, wasmtime-py ${python.version}]`, child);
  }
}

// The AssemblyScript suite as a WASI command, under three WASI implementations; each prints its own
// "N passed, N failed". node:wasi runs with the guard flag on Node < 24 (scripts/wasi-guard.mjs).
// Wasmtime's runner is a Node script that starts the `wasmtime` CLI or Python: this Node runs it.
const wasiRuns = [
  ["node:wasi", testNode, [...wasiGuardFlags(testNode.version()), "--no-warnings", join(dir, "wasi/node-wasi.mjs")]],
  ["browser_wasi_shim", testNode, [join(dir, "wasi/browser-shim.mjs")]],
  ...(nodeOnly ? [] : [["Wasmtime", { file: process.execPath, args: [] }, [join(dir, "wasi/wasmtime.mjs")]]]),
];
if (nodeOnly) notRun.push("the WASI suite under Wasmtime: MMF_NODE_ONLY=1 (it does not depend on the Node version)");
for (const [name, node, args] of filters.length === 0 || filters.some((f) => "wasi".includes(f)) ? wasiRuns : []) {
  const child = spawnSync(node.file, [...node.args, ...args], { encoding: "utf8" });
  if (child.status === 0 && /SKIPPED/.test(child.stdout)) notRun.push(`the WASI suite under ${name}: ${child.stdout.trim()}`);
  else countPlain(`WASI suite under ${name}`, child);
}

for (const note of notRun) console.log(`\nNOT RUN (skipped, not passed): ${note}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
