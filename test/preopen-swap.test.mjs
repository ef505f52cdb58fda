// @ts-check
// A preopened folder is held by descriptor (issue 9, point 9): replacing it, or a folder inside
// it, by a symlink after the host started never lets a guest read or create files outside it.
// Both backends: openat2 beneath the descriptor (native), a walk one component at a time through
// /proc/self/fd (emulated). MMF_RELIABILITY=1 runs many more opens against a swapping process.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ErrorCodes, MEM_READ_ONLY } from "../dist/host/index.js";
import { backend, loadGuest, pattern, writeFile, tracked } from "./helpers.mjs";

const test = suite("preopen-swap");
const track = tracked(test);

const LONG = process.env.MMF_RELIABILITY === "1";
const { ENOENT } = ErrorCodes;
const inside = pattern(4096, 1);
const outside = pattern(4096, 2);

function folders() {
  const dir = track.dir();
  const data = join(dir, "data");
  const out = join(dir, "out");
  mkdirSync(data);
  mkdirSync(out);
  writeFile(data, "file.bin", inside);
  writeFile(out, "secret.bin", outside);
  writeFile(out, "file.bin", outside);
  return { dir, data, out };
}

test("the preopened folder renamed away and replaced by a symlink: nothing outside is read or created", async () => {
  const { data, out } = folders();
  const { call, host } = track(await loadGuest("api", { preopens: { "/data": data } }));
  assert.is(call("readByte", "/data/file.bin", MEM_READ_ONLY, 0n, 0n, 7n), inside[7]);
  renameSync(data, `${data}.moved`);
  symlinkSync(out, data);
  assert.is(call("openError", "/data/secret.bin", "r"), ENOENT, "read a file outside the preopen");
  assert.is(call("readByte", "/data/file.bin", MEM_READ_ONLY, 0n, 0n, 7n), inside[7], "the held folder's file, not the outside one");
  assert.is(call("openError", "/data/created.bin", "w+"), 0);
  assert.ok(!existsSync(join(out, "created.bin")), "a file was created outside the preopen");
  assert.ok(existsSync(join(`${data}.moved`, "created.bin")), "created in the held folder");
  host.close();
});

test("the preopened folder deleted and replaced by a symlink: opens fail, nothing is created outside", async () => {
  const { data, out } = folders();
  const { call, host } = track(await loadGuest("api", { preopens: { "/data": data } }));
  rmSync(data, { recursive: true });
  symlinkSync(out, data);
  assert.is(call("openError", "/data/secret.bin", "r"), ENOENT);
  assert.is(call("openError", "/data/file.bin", "r"), ENOENT);
  assert.ok(call("openError", "/data/created.bin", "w+") > 0, "creating in a deleted folder fails");
  assert.ok(!existsSync(join(out, "created.bin")), "a file was created outside the preopen");
  host.close();
});

test(`a folder inside the preopen swapped with a symlink while the guest opens through it: never the outside file`, async () => {
  const { dir, data, out } = folders();
  mkdirSync(join(data, "sub"));
  writeFile(join(data, "sub"), "file.bin", inside);
  const { call, host } = track(await loadGuest("api", { preopens: { "/data": data } }));
  // Another process swaps data/sub between the real folder and a symlink to the outside one.
  const stop = join(dir, "stop");
  const swapper = track(
    spawn(
      process.execPath,
      [
        "-e",
        `
    const fs = require("node:fs");
    const [sub, real, out, stop] = process.argv.slice(1);
    let swaps = 0;
    console.error("ready");
    while (swaps % 256 !== 0 || !fs.existsSync(stop)) {
      fs.renameSync(sub, real); fs.symlinkSync(out, sub);
      fs.unlinkSync(sub); fs.renameSync(real, sub);
      swaps++;
    }
    console.log(swaps);`,
        join(data, "sub"),
        join(data, "sub.real"),
        out,
        stop,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    ),
  );
  const exited = new Promise((resolve) => swapper.once("exit", resolve));
  let swaps = "";
  swapper.stdout.on("data", (d) => (swaps += d));
  await new Promise((resolve) => swapper.stderr.once("data", resolve));
  const opens = LONG ? 200_000 : 20_000;
  const outcomes = { inside: 0, refused: 0, outside: 0 };
  try {
    for (let i = 0; i < opens; i++) {
      const byte = call("readByte", "/data/sub/file.bin", MEM_READ_ONLY, 0n, 0n, 9n);
      if (byte === inside[9]) outcomes.inside++;
      else if (byte === outside[9]) outcomes.outside++;
      else outcomes.refused++;
    }
  } finally {
    writeFile(dir, "stop", new Uint8Array(0));
    await exited;
  }
  console.log(
    `  [${backend}] ${opens} opens of /data/sub/file.bin against ${swaps.trim()} swaps: ${outcomes.inside} inside, ${outcomes.refused} refused, ${outcomes.outside} outside`,
  );
  assert.is(outcomes.outside, 0, "a guest read the file outside its preopen");
  assert.ok(outcomes.refused > 0 && outcomes.inside > 0, "the swap never raced an open: nothing was tried");
  host.close();
});

test.run();
