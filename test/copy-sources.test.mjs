// @ts-check
// `mmf copy` refuses a source that is not a regular file whose size is its content (a directory, a
// device, a procfs file, a FIFO, a socket) and a destination that is not a regular file, before
// anything is mapped or written: exit 1, one line on stderr, nothing changed. None of it depends on
// the backend: test/run.mjs runs this file once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { assertRefused, mmfCli as mmf, OLD } from "./copy-cli.mjs";
import { mmfHere, pattern, tempDir, writeFile, tracked } from "./helpers.mjs";

const test = suite("copy-sources");
const track = tracked(test);

const dir = tempDir();

test("a source that is not a regular file is refused before anything is written: directory, device, procfs file, FIFO, socket", async () => {
  const folder = join(dir, "sources");
  mkdirSync(folder);
  spawnSync("mkfifo", [join(folder, "fifo")]);
  const server = createServer();
  await new Promise((resolve) => server.listen(join(folder, "socket"), () => resolve(undefined)));
  const dst = track.path(writeFile(dir, "kept.bin", OLD));
  const before = readdirSync(dir).sort();
  try {
    // The FIFO as a real process (a FIFO opened for reading blocks until a writer comes: the child's
    // timeout catches a hang); the others through the command's module here, a start-up spared each.
    for (const [src, kind] of [
      [join(folder, "fifo"), "a FIFO, not a regular file"],
      [folder, "a directory, not a regular file"],
      ["/dev/zero", "a character device, not a regular file"],
      ["/proc/self/status", "a procfs file, whose size is not its content"],
      [join(folder, "socket"), "a socket, not a regular file"],
    ]) {
      const run = src.endsWith("fifo") ? mmf("copy", src, dst) : await mmfHere(["copy", src, dst]);
      assertRefused(run, new RegExp(`^mmf: copy: source ${src} is ${kind} \\(EINVAL\\)$`), dst, before);
    }
    // A destination that is not a regular file is never replaced either.
    const src = track.path(writeFile(dir, "small.bin", pattern(10_000, 3)));
    const run = await mmfHere(["copy", src, "/dev/null"]);
    assert.is(run.status, 1);
    assert.match(run.stderr, /destination \/dev\/null is a character device/);
    assert.ok(statSync("/dev/null").isCharacterDevice());
  } finally {
    server.close();
  }
});

test.run();
