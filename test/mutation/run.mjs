// @ts-check
// npm run test:mutation [-- ID...] [--keep]: applies each hand-written mutant of mutants.mjs to a
// scratch copy of the built tree, rebuilds only what the mutated file feeds (the core module and
// the test guest for AssemblyScript, that one file's JavaScript for TypeScript, the helper for C),
// runs the mutant's suites through test/run.mjs (native backend first, then emulated for all but
// the C mutants; it stops at the first suite that fails), puts the file and the build back, and
// prints each mutant's fate and the score: killed / applied.
// Before it trusts a clean run it checks the runner: test/canary.test.mjs must count as failed,
// and the suites must pass on the unmutated copy. Not part of npm test (it takes minutes).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";
import { mutants as allMutants } from "./mutants.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values: options, positionals: only } = parseArgs({
  allowPositionals: true,
  options: { keep: { type: "boolean", default: false }, timeout: { type: "string", default: "300" } },
});
const TIMEOUT_MS = Number(options.timeout) * 1000;
const mutants = only.length ? allMutants.filter((m) => only.includes(m.id)) : allMutants;
if (mutants.length === 0) throw new Error(`no mutant named ${only.join(", ")}`);
const isNative = (m) => m.file.endsWith(".c");
const isAssembly = (m) => m.file.startsWith("assembly/");

/** Runs test/run.mjs in `cwd` with `args`; resolves to { passed, failed, status, output, timedOut }. */
function runSuites(cwd, args, env = {}) {
  return new Promise((resolve) => {
    // Its own process group, so that a hung mutant's test processes can be stopped with it.
    // MMF_ALLOW_STALE_BUILD: the scratch tree rebuilds only what a mutant's file feeds, on purpose.
    const childEnv = { ...process.env, MMF_ALLOW_STALE_BUILD: "1", ...env };
    const child = spawn(process.execPath, [join(cwd, "test/run.mjs"), ...args], { cwd, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid ?? 0), "SIGKILL");
      } catch {
        // gone already
      }
    }, TIMEOUT_MS);
    child.on("close", (status) => {
      clearTimeout(timer);
      const m = [...output.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].at(-1);
      resolve({ passed: m ? Number(m[1]) : 0, failed: m ? Number(m[2]) : NaN, status, output, timedOut });
    });
  });
}

// 1. The runner sees a failure: the canary's one failing test is counted, and the exit code says so.
const canary = await runSuites(root, ["canary"], { MMF_BACKENDS: "native" });
if (canary.status !== 1 || canary.passed !== 1 || canary.failed !== 1) {
  console.log(canary.output);
  throw new Error(
    `test/run.mjs did not count the canary's failure (exit ${canary.status}, ${canary.passed} passed, ${canary.failed} failed): no result of it can be trusted`,
  );
}
console.log("canary: test/run.mjs counts its failing test (1 passed, 1 failed, exit 1)");

// 2. A scratch copy of the tree as built: sources from git, the build outputs as they are.
for (const built of ["dist/mmf.wasm", "dist/host/index.js", "dist/test-guests/api.wasm"]) {
  if (!existsSync(join(root, built))) throw new Error(`${built} is missing: npm run build first`);
}
const scratch = mkdtempSync(join(tmpdir(), "mmf-mutation-"));
const cleanup = () => {
  if (!options.keep) rmSync(scratch, { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
const tracked = spawnSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).stdout.split("\0").filter(Boolean);
for (const file of tracked) {
  if (!existsSync(join(root, file))) continue; // deleted in the working tree
  mkdirSync(dirname(join(scratch, file)), { recursive: true });
  cpSync(join(root, file), join(scratch, file));
}
for (const built of ["dist", "build", "prebuilds"])
  if (existsSync(join(root, built))) cpSync(join(root, built), join(scratch, built), { recursive: true, verbatimSymlinks: true });
for (const linked of ["node_modules", ".venv-wasmtime"]) if (existsSync(join(root, linked))) symlinkSync(join(root, linked), join(scratch, linked));

const exec = (file, args) => {
  const run = spawnSync(file, args, { cwd: scratch, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${file} ${args.join(" ")}: ${run.stderr || run.stdout}`);
};
const asc = (args) => exec(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"), ...args]);
const GUESTS = ["api", "cursors"];
/** What each kind of mutated file rebuilds, and which outputs to put back after. */
const rebuild = {
  assembly: {
    // The test guests that use the library's region logic: api through its calls, cursors through
    // the readers and writers (regionCopy and copyBytes are inlined into them).
    outputs: ["dist/mmf.wasm", "dist/mmf.wat", ...GUESTS.map((g) => `dist/test-guests/${g}.wasm`)],
    build() {
      asc(["assembly/core.ts", "--config", "asconfig.json", "--target", "release"]);
      for (const g of GUESTS)
        asc([`test/guests/${g}.ts`, "--outFile", `dist/test-guests/${g}.wasm`, "--path", "dist/asc-packages", "--config", "scripts/guests.asconfig.json"]);
    },
  },
  host: {
    outputs: (m) => [m.file.replace(/^host\/(.*)\.ts$/, "dist/host/$1.js")],
    // One file's JavaScript: tsc emits exactly what transpileModule does for these sources (checked below).
    build(m) {
      writeFileSync(join(scratch, rebuild.host.outputs(m)[0]), transpile(readFileSync(join(scratch, m.file), "utf8"), m.file));
    },
  },
  native: {
    outputs: ["build/Release/mmf_native.node"],
    build() {
      exec("make", ["-C", "build", "BUILDTYPE=Release", "-s"]);
    },
  },
};
const kindOf = (m) => (isNative(m) ? "native" : isAssembly(m) ? "assembly" : "host");
const outputsOf = (m) => {
  const outputs = rebuild[kindOf(m)].outputs;
  return typeof outputs === "function" ? outputs(m) : outputs;
};
function transpile(source, fileName) {
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext }, fileName }).outputText;
}
for (const m of mutants.filter((m) => kindOf(m) === "host")) {
  const out = outputsOf(m)[0];
  if (transpile(readFileSync(join(scratch, m.file), "utf8"), m.file) !== readFileSync(join(scratch, out), "utf8")) {
    throw new Error(`${out} is not what transpiling ${m.file} gives: npm run build first`);
  }
}
// 3. Every mutant's text is there once, and the unmutated copy passes the suites they use.
const stale = mutants.filter((m) => readFileSync(join(scratch, m.file), "utf8").split(m.find).length !== 2);
for (const m of stale) console.log(`STALE ${m.id}: ${m.file} does not hold its text exactly once; update test/mutation/mutants.mjs`);
const applicable = mutants.filter((m) => !stale.includes(m));
const backendsOf = (m) => (isNative(m) ? ["native"] : ["native", "emulated"]);
const baseline = new Map();
for (const m of applicable) for (const backend of backendsOf(m)) for (const suite of m.tests) baseline.set(`${suite} ${backend}`, [suite, backend]);
console.log(`baseline: ${baseline.size} suite runs on the unmutated copy`);
/** The suite runs that test something here: a suite whose every test skips on a backend is left out there. */
const useful = new Set();
for (const [key, [suite, backend]] of baseline) {
  const run = await runSuites(scratch, [suite], { MMF_BACKENDS: backend });
  if (run.passed === 0 && run.failed === 0 && !run.timedOut) continue;
  if (run.status !== 0 || run.failed !== 0) {
    console.log(run.output);
    cleanup();
    throw new Error(`${key} fails without any mutant: fix the suite before measuring it`);
  }
  useful.add(key);
}

// 4. The mutants, one at a time.
const results = [];
for (const [n, m] of applicable.entries()) {
  const started = performance.now();
  const source = readFileSync(join(scratch, m.file), "utf8");
  const saved = outputsOf(m).map((out) => [out, existsSync(join(scratch, out)) ? readFileSync(join(scratch, out)) : undefined]);
  let fate = "survived";
  let by = "";
  try {
    writeFileSync(join(scratch, m.file), source.replace(m.find, m.replace));
    try {
      rebuild[kindOf(m)].build(m);
    } catch (err) {
      fate = "killed";
      by = `the build (${err.message.split("\n")[0].slice(0, 100)})`;
    }
    outer: for (const backend of fate === "survived" ? backendsOf(m) : []) {
      for (const suite of m.tests) {
        if (!useful.has(`${suite} ${backend}`)) continue;
        const run = await runSuites(scratch, [suite], { MMF_BACKENDS: backend });
        if (run.timedOut || run.status !== 0 || run.failed > 0) {
          fate = "killed";
          by = `${suite} [${backend}]${run.timedOut ? " (timed out)" : ""}`;
          break outer;
        }
      }
    }
  } finally {
    writeFileSync(join(scratch, m.file), source);
    for (const [out, bytes] of saved) if (bytes) writeFileSync(join(scratch, out), bytes);
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ ...m, fate, by, seconds });
  console.log(
    `[${n + 1}/${applicable.length}] ${fate.toUpperCase().padEnd(8)} ${m.id.padEnd(22)} ${m.what}${by ? ` — by ${by}` : ""} (${seconds.toFixed(0)} s)`,
  );
}
cleanup();

const killed = results.filter((r) => r.fate === "killed").length;
const survivors = results.filter((r) => r.fate === "survived");
console.log(`\nsurvivors (${survivors.length}):`);
for (const s of survivors) console.log(`  ${s.id} (${s.file}): ${s.what}${s.note ? `; ${s.note}` : "; no note: a test is missing"}`);
if (stale.length) console.log(`\nstale, not applied (${stale.length}): ${stale.map((m) => m.id).join(", ")}`);
console.log(`\nmutation score: ${killed} of ${results.length} mutants killed (${((100 * killed) / results.length).toFixed(1)}%)`);
process.exitCode = stale.length > 0 || survivors.some((s) => !s.note) ? 1 : 0;
