// @ts-check
// When a map fails, the native helper puts zeroed memory back over the range (a failed MAP_FIXED
// may have dropped the old pages). When that fails too, the map's answer is the zero fill's error,
// not the map's: the range is not what it was. The zero fill fails here for real: the child runs
// under a seccomp filter that has the kernel refuse it with ENOMEM (test/fixtures/no-zero-fill.py),
// as a process at vm.max_map_count would see it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { realMappingTest, tempDir, testNode, writeFile } from "./helpers.mjs";

const restore = suite("a failed restore of anonymous memory");
const { EACCES, ENOMEM } = constants.errno;
const fixture = (name) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const file = writeFile(tempDir(), "one-page.bin", new Uint8Array(4096).fill(1));

/** The fixture's answer, run under the filter or not. */
function failedMap(withoutZeroFill) {
  const node = [testNode.file, ...testNode.args, fixture("failed-map.mjs"), file];
  const [command, ...args] = withoutZeroFill ? ["python3", fixture("no-zero-fill.py"), ...node] : node;
  const run = spawnSync(command, args, { encoding: "utf8" });
  assert.is(run.status, 0, `${command} ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

realMappingTest(restore, "a map refused by mmap answers mmap's error, puts zeroed memory back and leaves nothing watched", () => {
  assert.equal(failedMap(false), { rc: -EACCES, live: 0, page: "zeroed" });
});

realMappingTest(restore, "a map refused by mmap whose zero fill fails too answers the zero fill's ENOMEM, and the range stays watched", () => {
  // The kernel refused the shared map before it touched the range: the old bytes are still there.
  assert.equal(failedMap(true), { rc: -ENOMEM, live: 1, page: "kept" });
});

restore.run();
