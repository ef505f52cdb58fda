// @ts-check
// Runs every test/*.test.mjs in its own Node process (a crash fails only its file), once per
// backend (native, then emulated; MMF_BACKENDS=native narrows it; a few run once or on native
// only, see oncePerRun and nativeOnly), then the Wasmtime host's
// Python suites (test/wasmtime/test_*.py, one process each) and the WASI suite, and prints the
// summed `N passed, N failed, N skipped` line; what could not run is said just before it.
// The runs go `--jobs N` at a time (MMF_TEST_JOBS; default 2); each one's output is printed
// whole, in the order above, once it and the ones before it have ended.
// Extra arguments select files by substring; --long runs the long reliability versions (MMF_RELIABILITY=1).
// canary.test.mjs fails on purpose, to show that this runner sees a failure: it runs only when
// named (`node test/run.mjs canary`), never in the default set.
// MMF_TEST_NODE (a JSON array, e.g. ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "/path/to/node"])
// is the command that runs the suites instead of this Node (the arm64 prebuild's tests use it).
// MMF_NODE_ONLY=1 leaves out what does not depend on the Node version (the Wasmtime runs): the
// Node-version matrix sets it, since npm test already ran them once.
// A build older than its sources is refused (scripts/stale-build.mjs names what to rebuild), so
// that no run tests code that is not the tree's; MMF_ALLOW_STALE_BUILD=1 lets it through (the
// mutation runner rebuilds only what a mutant's file feeds).
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { wasmtimeLibraryBuilt, wasmtimePython } from "./wasmtime-python.mjs";
import { wasiGuardFlags } from "../scripts/wasi-guard.mjs";
import { testCache, testNode } from "./helpers.mjs";
import { staleBuild } from "../scripts/stale-build.mjs";

const dir = dirname(fileURLToPath(import.meta.url));
const { values: options, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: { long: { type: "boolean", default: false }, jobs: { type: "string", default: process.env.MMF_TEST_JOBS || "2" } },
});
const stale = process.env.MMF_ALLOW_STALE_BUILD === "1" ? [] : staleBuild(join(dir, ".."));
if (stale.length > 0) {
  const more = stale.length > 10 ? `\n  ... and ${stale.length - 10} more` : "";
  console.log(`The build is older than its sources: run \`npm run build\` first.\n  ${stale.slice(0, 10).join("\n  ")}${more}`);
  console.log("\n0 passed, 1 failed");
  process.exit(1);
}
const long = options.long;
const jobs = Number(options.jobs);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs (MMF_TEST_JOBS) must be a positive integer, got ${options.jobs}`);
const CANARY = "canary.test.mjs";
const selected = (name) => filters.length === 0 || filters.some((s) => name.includes(s));
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.mjs"))
  .filter((f) => (f === CANARY ? filters.some((s) => s === "canary" || s === CANARY) : selected(f)))
  .sort();
const backends = (process.env.MMF_BACKENDS || "native,emulated").split(",");
// Suites that do not depend on the backend, or test the native helper itself, run in the first pass only.
const oncePerRun = new Set([
  "install.test.mjs",
  "package.test.mjs",
  "cli-usage.test.mjs",
  "copy-sources.test.mjs",
  "create-mmf.test.mjs",
  "native-backstop.test.mjs",
  "native-restore.test.mjs",
  "stale-build.test.mjs",
  "advice.test.mjs",
  "abi.test.mjs",
  "cleanup.test.mjs",
  // The C guests test the C helpers and the ABI as C sees it; the backend behind the imports is the
  // AssemblyScript guests' and the raw guests' to test (guest, hostile, abi-rules run on both).
  "c-guests.test.mjs",
  CANARY,
]);
// Suites whose every test is about the native helper's real mappings (each skips itself on the
// emulated backend): their emulated run would only start a process to skip.
const nativeOnly = new Set(["faults.test.mjs", "grow-race.test.mjs", "native-helper.test.mjs", "races.test.mjs", "scale.test.mjs", "signals.test.mjs"]);
const reliability = long ? { MMF_RELIABILITY: "1" } : {};

/**
 * The runs, in the order their output is printed. Each is { title, file, args, env, count }:
 * `count(child)` reads the child's { passed, failed, skipped } (a crash counts as a failure).
 */
const runs = [];
const notRun = [];
const nodeOnly = process.env.MMF_NODE_ONLY === "1";

for (const backend of backends) {
  for (const file of files) {
    if (oncePerRun.has(file) && backend !== backends[0]) continue;
    if (nativeOnly.has(file) && backend !== "native") continue;
    runs.push({
      title: `${file} [${backend}]`,
      file: testNode.file,
      args: [...testNode.args, "--expose-gc", join(dir, file)],
      env: { ...process.env, MMF_BACKEND: backend, NO_COLOR: "1", FORCE_COLOR: "0", ...reliability },
      count: countUvu,
    });
  }
}

const nativeOnlyLeft = files.filter((f) => nativeOnly.has(f) && !backends.includes("native"));
if (nativeOnlyLeft.length > 0) notRun.push(`${nativeOnlyLeft.join(", ")}: they test the native backend only (MMF_BACKENDS has no native)`);

/** A uvu file's counts from its Total/Passed/Skipped lines. */
function countUvu(child) {
  const count = (label) => Number(child.stdout.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
  // uvu's Total counts the tests that ran; Skipped ones come on top.
  const total = count("Total");
  const ok = count("Passed");
  const skipped = count("Skipped") || 0;
  if (child.status === 0 && Number.isFinite(total) && Number.isFinite(ok)) return { passed: ok, failed: total - ok, skipped };
  // A crash or signal: every test the file did not report as passed counts as failed, at least one.
  const done = Number.isFinite(ok) ? ok : 0;
  return { passed: done, failed: Math.max(1, (Number.isFinite(total) ? total : 0) - done), skipped, crashed: true };
}

/** The counts of a child that prints its own "N passed, N failed[, N skipped]" line (WASI suite, Python suites). */
function countPlain(child) {
  const m = child.stdout.match(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m);
  const skipped = m ? Number(m[3] ?? 0) : 0;
  if (child.status === 0 && m) return { passed: Number(m[1]), failed: Number(m[2]), skipped };
  return { passed: m ? Number(m[1]) : 0, failed: m ? Math.max(1, Number(m[2])) : 1, skipped, crashed: true };
}

// The Wasmtime host (host/wasmtime/): Python suites, each in its own process, once (the Node
// backend does not concern them).
const pythonSuites = readdirSync(join(dir, "wasmtime"))
  .filter((f) => /^test_.*\.py$/.test(f))
  .filter((f) => selected(`wasmtime/${f}`))
  .sort();
if (nodeOnly && pythonSuites.length > 0) notRun.push("the Wasmtime host suites: MMF_NODE_ONLY=1 (they do not depend on the Node version)");
else if (pythonSuites.length > 0) {
  const python = wasmtimePython();
  const missing =
    python.skip ?? (wasmtimeLibraryBuilt() ? undefined : "dist/wasmtime/libmmf_wasmtime.so is missing (`npm run build:wasmtime`, needs a C compiler)");
  if (missing) notRun.push(`the Wasmtime host suites (${pythonSuites.join(", ")}): ${missing}`);
  for (const file of missing ? [] : pythonSuites) {
    runs.push({
      title: `wasmtime/${file} [Wasmtime host, wasmtime-py ${python.version}]`,
      file: python.python,
      args: [join(dir, "wasmtime", file)],
      env: { ...process.env, NO_COLOR: "1", ...reliability },
      count: countPlain,
    });
  }
}

// The AssemblyScript suite as a WASI command, under three WASI implementations; each prints its own
// "N passed, N failed". node:wasi runs with the guard flag on Node < 24 (scripts/wasi-guard.mjs).
// Wasmtime's runner is a Node script that starts the `wasmtime` CLI or Python: this Node runs it.
if (nodeOnly) notRun.push("the WASI suite under Wasmtime: MMF_NODE_ONLY=1 (it does not depend on the Node version)");
if (filters.length === 0 || filters.some((f) => "wasi".includes(f))) {
  /** @type {Array<[string, { file: string, args: string[] }, string[]]>} */
  const wasiRuns = [
    ["node:wasi", testNode, [...wasiGuardFlags(testNode.version()), "--no-warnings", join(dir, "wasi/node-wasi.mjs")]],
    ["browser_wasi_shim", testNode, [join(dir, "wasi/browser-shim.mjs")]],
    ...(nodeOnly
      ? []
      : [
          /** @type {[string, { file: string, args: string[] }, string[]]} */ ([
            "Wasmtime",
            { file: process.execPath, args: [] },
            [join(dir, "wasi/wasmtime.mjs")],
          ]),
        ]),
  ];
  for (const [name, node, args] of wasiRuns) {
    runs.push({ title: `WASI suite under ${name}`, file: node.file, args: [...node.args, ...args], env: process.env, count: countPlain, skipsItself: true });
  }
}

/**
 * Seconds of CPU that this process's reaped children used so far (Linux: /proc/self/stat cutime +
 * cstime), or NaN. Read as each child is reaped, the difference is that child's (and its own
 * children's) CPU time.
 */
function childrenCpu() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100; // clock ticks: USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}
let cpuSeen = childrenCpu();

/** Runs one child to its end; resolves to { stdout, stderr, status, signal, seconds, cpu }, output kept whole. */
function execute(run) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(run.file, run.args, { env: run.env, stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", (error) => err.push(Buffer.from(`${error.message}\n`)));
    child.on("exit", () => {
      const now = childrenCpu();
      run.cpu = now - cpuSeen;
      cpuSeen = now;
    });
    child.on("close", (status, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        status,
        signal,
        seconds: (performance.now() - started) / 1000,
        cpu: run.cpu,
      }),
    );
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const results = new Array(runs.length);
let printed = 0;

/** Prints every finished run whose predecessors are printed, and adds up its counts. */
function flush() {
  while (printed < runs.length && results[printed]) {
    const run = runs[printed];
    const child = results[printed];
    printed++;
    if (run.skipsItself && child.status === 0 && /SKIPPED/.test(child.stdout)) {
      notRun.push(`the ${run.title}: ${child.stdout.trim()}`);
      continue;
    }
    const cpu = Number.isFinite(child.cpu) ? `, CPU ${child.cpu.toFixed(1)} s` : "";
    process.stdout.write(`\n== ${run.title} (${child.seconds.toFixed(1)} s${cpu})\n${child.stdout}${child.stderr}`);
    const counts = run.count(child);
    if (counts.crashed) process.stdout.write(`!! ${run.title}: ${child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`}\n`);
    passed += counts.passed;
    failed += counts.failed;
    skipped += counts.skipped;
  }
}

// Longest first, so that no long run starts last and ends alone: the runs start in the order of
// their wall time in the last run on this machine (kept in node_modules/.cache), the ones never
// timed first; with no record, the few known to be long. Output keeps the order above.
const timesFile = join(testCache, "test-times.json");
const knownLong = ["package.test.mjs", "install.test.mjs", "c-guests.test.mjs", "cli-usage.test.mjs", "lifecycle.test.mjs"];
/** @type {Record<string, number>} */
let lastTimes = {};
try {
  // Only seconds by title are kept: a record another tool or a torn write spoiled counts as none.
  const record = JSON.parse(readFileSync(timesFile, "utf8"));
  if (record && typeof record === "object" && !Array.isArray(record))
    lastTimes = Object.fromEntries(Object.entries(record).filter(([, seconds]) => Number.isFinite(seconds) && seconds >= 0));
} catch {}
const hasRecord = Object.keys(lastTimes).length > 0;
const weight = (/** @type {{ title: string }} */ run) =>
  hasRecord ? (lastTimes[run.title] ?? Infinity) : knownLong.some((f) => run.title.startsWith(f)) ? 1 : 0;
const startOrder = runs.map((_, i) => i).sort((a, b) => weight(runs[b]) - weight(runs[a]) || a - b);

const started = performance.now();
const cpuAtStart = cpuSeen;
let next = 0;
async function worker() {
  while (next < startOrder.length) {
    const index = startOrder[next++];
    results[index] = await execute(runs[index]);
    flush();
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, worker));
// Recorded only for this machine's own Node (not under qemu-user: MMF_TEST_NODE), merged with the rest.
if (!process.env.MMF_TEST_NODE) {
  const times = { ...lastTimes };
  runs.forEach((run, i) => {
    times[run.title] = Number(results[i].seconds.toFixed(2));
  });
  mkdirSync(dirname(timesFile), { recursive: true });
  writeFileSync(timesFile, `${JSON.stringify(times, null, 1)}\n`);
}

const cpuTotal = childrenCpu() - cpuAtStart;
console.log(
  `\n${runs.length} runs, ${Math.min(jobs, runs.length)} at a time, in ${((performance.now() - started) / 1000).toFixed(1)} s` +
    (Number.isFinite(cpuTotal) ? ` (CPU ${cpuTotal.toFixed(1)} s)` : ""),
);
for (const note of notRun) console.log(`\nNOT RUN (skipped, not passed): ${note}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
