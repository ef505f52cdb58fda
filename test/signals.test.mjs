// @ts-check
// The guard stays installed (issue 9, item 5). A process.on("SIGBUS") listener makes libuv install
// its own handler over the guard, and removing the last listener resets SIGBUS to the default
// action: a truncation fault would then hang the process (libuv's handler returns, the access
// faults again) or kill it. The guard goes back on top and chains to what it displaced: a SIGBUS
// that is not ours still reaches the JavaScript listener, or the default action.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { realMappingTest, root, tempDir } from "./helpers.mjs";

const test = suite("signals");

const dir = tempDir();

/** Runs an ES module body in a fresh Node (10 s at most: a lost guard hangs in a loop of faults). */
function runChild(body) {
  const source = `
    import { createMmf, openFile, MEM_READ_ONLY } from "${join(root, "dist/host/index.js")}";
    import { nativeHelper } from "${join(root, "dist/host/native.js")}";
    import { truncateSync, writeFileSync } from "node:fs";
    const say = (line) => process.stdout.write(line + "\\n");
    const mmf = createMmf();
    /** A region of a fresh 8-page file of 7s, and its view. */
    function mapped(name) {
      const path = "${dir}/" + name;
      writeFileSync(path, new Uint8Array(8 * 4096).fill(7));
      const file = openFile(path);
      const region = mmf.newMemoryRegion(file, MEM_READ_ONLY);
      file.close();
      return { path, region, view: region.data() };
    }
    /** Truncates under the region and reads past the new end: 0, or the process is gone. */
    function truncateAndTouch({ path, region, view }) {
      truncateSync(path, 4096);
      const byte = view[5 * 4096];
      let code = "none";
      try { region.data(); } catch (e) { code = e.code; }
      return byte + " " + code;
    }
    ${body}`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8", timeout: 10_000 });
}

realMappingTest(
  test,
  "a listener added after the first mapping, then removed: truncation faults are survived, sent SIGBUSes reach the listener, then the default action",
  () => {
    const run = runChild(`
    const first = mapped("first.bin"); // installs the guard
    const second = mapped("second.bin");
    let heard = 0;
    const listener = () => heard++;
    process.on("SIGBUS", listener);   // libuv's handler replaces the guard here
    say("with a listener: " + truncateAndTouch(first));
    process.kill(process.pid, "SIGBUS");
    await new Promise((resolve) => setTimeout(resolve, 200));
    say("listener heard " + heard);
    process.off("SIGBUS", listener);  // libuv resets SIGBUS to the default action here
    say("listener removed: " + truncateAndTouch(second));
    say("reinstalled " + nativeHelper().guardStats().reinstalled);
    process.kill(process.pid, "SIGBUS"); // nobody listens: the default action ends the process
    await new Promise((resolve) => setTimeout(resolve, 2000));
    say("still alive");`);
    assert.is(run.error, undefined, `the child hung: ${run.error}`);
    assert.match(run.stdout, /with a listener: 0 ETRUNCATED/);
    assert.match(run.stdout, /listener heard 1/);
    assert.match(run.stdout, /listener removed: 0 ETRUNCATED/);
    assert.match(run.stdout, /reinstalled [2-9]/);
    assert.not.match(run.stdout, /still alive/);
    assert.is(run.signal, "SIGBUS", `${run.stdout}${run.stderr}`);
  },
);

realMappingTest(test, "two listeners, one removed: the other still hears a sent SIGBUS, and faults are still absorbed", () => {
  const run = runChild(`
    const region = mapped("two.bin");
    let a = 0, b = 0;
    const la = () => a++, lb = () => b++;
    process.on("SIGBUS", la);
    process.on("SIGBUS", lb);
    process.off("SIGBUS", la);
    process.kill(process.pid, "SIGBUS");
    await new Promise((resolve) => setTimeout(resolve, 200));
    say("heard " + a + " " + b);
    say("fault: " + truncateAndTouch(region));
    process.off("SIGBUS", lb);`);
  assert.is(run.status, 0, `${run.error ?? ""} ${run.signal ?? ""} ${run.stderr}`);
  assert.match(run.stdout, /heard 0 1/);
  assert.match(run.stdout, /fault: 0 ETRUNCATED/);
});

test.run();
