// @ts-check
// tracked() (test/helpers.mjs): a test that fails an assertion still gives back everything it
// took before the next test starts. test/fixtures/failing-suite.mjs holds a region, its Mmf and
// file, a guest, a descriptor, a folder, a worker and a child process, and fails; its next test
// reports what the process still holds. Without tracking, the same report shows the leaks.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { backend, root, testNode } from "./helpers.mjs";

const test = suite("cleanup");
const fixture = join(root, "test/fixtures/failing-suite.mjs");

function runFixture(env = {}) {
  const run = spawnSync(testNode.file, [...testNode.args, fixture], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
  });
  const held = run.stdout.match(/HELD (\{.*\})/);
  return { run, held: held ? JSON.parse(held[1]) : undefined, output: run.stdout + run.stderr };
}

test("after a failed assertion the next test starts with nothing held: descriptors, maps, folder, worker, child", () => {
  const { run, held, output } = runFixture();
  assert.is(run.status, 1, `the failing test fails its file:\n${output}`);
  assert.match(run.stdout, /Total:\s+2\n\s*Passed:\s+1/, output);
  assert.ok(held, output);
  console.log(`  held after the failed test, tracked: ${JSON.stringify(held)}`);
  assert.equal(held, { fds: 0, maps: 0, dir: false, worker: false, child: false }, output);
});

test("the same suite untracked leaves them held, so the report above can tell", () => {
  const { held, output } = runFixture({ MMF_UNTRACKED: "1" });
  assert.ok(held, output);
  console.log(`  untracked: ${JSON.stringify(held)}`);
  assert.ok(held.fds > 0, `descriptors held: ${output}`);
  if (backend === "native") assert.ok(held.maps > 0, `the region is still mapped: ${output}`);
  assert.ok(held.dir && held.worker && held.child, output);
});

test.run();
