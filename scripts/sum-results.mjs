// node scripts/sum-results.mjs LOG...: the sum of the last "N passed, N failed[, N skipped]" line
// of each log (every suite .ci/run ran), printed as one such line. A log without one counts as a failure.
import { readFileSync } from "node:fs";

const sum = { passed: 0, failed: 0, skipped: 0 };
for (const log of process.argv.slice(2)) {
  const m = [...readFileSync(log, "utf8").matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)].at(-1);
  if (!m) {
    console.log(`${log}: no totals line`);
    sum.failed += 1;
    continue;
  }
  sum.passed += Number(m[1]);
  sum.failed += Number(m[2]);
  sum.skipped += Number(m[3] ?? 0);
}
console.log(`\n${sum.passed} passed, ${sum.failed} failed${sum.skipped ? `, ${sum.skipped} skipped` : ""}`);
process.exitCode = sum.failed > 0 || sum.passed === 0 ? 1 : 0;
