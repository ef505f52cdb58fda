// @ts-check
// Shared test fixtures: real files in a fresh temporary folder, process figures, error checks.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, openSync, closeSync, fstatSync, ftruncateSync, writeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";

export const root = new URL("..", import.meta.url).pathname;
/** What the tests keep between runs (run times, compiled fixtures); a fresh `npm ci` starts it empty. */
export const testCache = `${root}node_modules/.cache/wasm-mmf`;

/**
 * The command that runs Node for suites and their child processes: this Node, or MMF_TEST_NODE (a
 * JSON array: an emulator and its arguments before the node binary, as the arm64 tests use).
 */
const testNodeCommand = JSON.parse(process.env.MMF_TEST_NODE || "null") ?? [process.execPath];
/** @type {string | undefined} */
let testNodeVersion;
export const testNode = {
  file: testNodeCommand[0],
  args: testNodeCommand.slice(1),
  /** Its version, e.g. "24.1.0" (asked once: a Node start-up, under qemu-user a slow one). */
  version: () =>
    (testNodeVersion ??= spawnSync(testNodeCommand[0], [...testNodeCommand.slice(1), "-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim()),
};

export function tempDir(prefix = "mmf-test-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic bytes: byte i of the pattern is a function of i and the seed. */
export function pattern(length, seed = 1) {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function writeFile(dir, name, bytes) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A sparse file of `size` bytes with the given { offset: bytes } written into it. */
export function sparseFile(dir, name, size, pieces = {}) {
  const path = join(dir, name);
  const fd = openSync(path, "w+");
  ftruncateSync(fd, size);
  for (const [offset, bytes] of Object.entries(pieces)) writeSync(fd, bytes, 0, bytes.length, Number(offset));
  closeSync(fd);
  return path;
}

export const readBytes = (path) => new Uint8Array(readFileSync(path));

export function openFds() {
  return readdirSync("/proc/self/fd").length;
}

/** Resident set in bytes, from /proc (process.memoryUsage().rss counts the same). */
export function rss() {
  return process.memoryUsage().rss;
}

/** Full collections, each followed by a turn of the event loop so that FinalizationRegistry callbacks run. */
export async function collectGarbage(rounds = 6) {
  const gc = globalThis.gc;
  if (!gc) throw new Error("collectGarbage needs node --expose-gc (test/run.mjs passes it)");
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Asserts that fn throws an MmfError with this code, and returns it. */
export function throwsCode(fn, code) {
  try {
    fn();
  } catch (err) {
    assert.is(err?.name, "MmfError", `expected MmfError, got ${err}`);
    assert.is(err.code, code, `expected ${code}: ${err.message}`);
    return err;
  }
  assert.unreachable(`expected MmfError ${code} from ${fn}`);
}

/**
 * Instantiates dist/test-guests/NAME.wasm with a fresh MmfHost; returns { host, exports }.
 * @param {string} name
 * @param {import("../dist/host/index.js").MmfHostOptions} [hostOptions]
 * @returns {Promise<{ host: import("../dist/host/index.js").MmfHost, exports: any, instance: WebAssembly.Instance, call: (fn: string, ...args: unknown[]) => any }>}
 */
export async function loadGuest(name, hostOptions = {}) {
  const { instantiate } = await import("@assemblyscript/loader");
  const { MmfHost } = await import("../dist/host/index.js");
  const host = new MmfHost(hostOptions);
  const wasm = readFileSync(new URL(`../dist/test-guests/${name}.wasm`, import.meta.url));
  const { instance, exports } = /** @type {{ instance: WebAssembly.Instance, exports: any }} */ (await instantiate(wasm, { mmf: host.imports }));
  host.attach(instance);
  /** Calls an export with string arguments passed as guest strings. */
  const call = (/** @type {string} */ fn, /** @type {unknown[]} */ ...args) => {
    const pinned = [];
    const converted = args.map((a) => {
      if (typeof a !== "string") return a;
      const ptr = exports.__pin(exports.__newString(a));
      pinned.push(ptr);
      return ptr;
    });
    try {
      return exports[fn](...converted);
    } finally {
      for (const ptr of pinned) exports.__unpin(ptr);
    }
  };
  return { host, exports, instance, call };
}

/**
 * `mmf ARGS...` through the command's own module (host/command.ts, which dist/host/cli.js runs on
 * the process's arguments) in this process, on its backend: { status, stdout, stderr }. Saves a Node
 * start-up per run where a real process is checked once beside it.
 * @param {string[]} args
 */
export async function mmfHere(args) {
  const { mmfCommand } = await import("../dist/host/command.js");
  let stdout = "";
  let stderr = "";
  const status = await mmfCommand(args, { write: (text) => (stdout += text) }, { write: (text) => (stderr += text) });
  return { status, stdout, stderr };
}

/**
 * How many areas of the process overlap [lo, hi) (addresses as bigints). Over a Wasm memory they
 * are the ones its mappings split; the whole process's count also moves with V8's own heap.
 */
export function areasOverlapping(lo, hi) {
  let n = 0;
  for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m && BigInt(`0x${m[1]}`) < hi && BigInt(`0x${m[2]}`) > lo) n++;
  }
  return n;
}

/** The raw-import test guest (dist/test-guests/raw.wasm) on a MmfHost of its own: { host, g } (g: its exports). */
export async function rawGuest(hostOptions = {}) {
  const { MmfHost } = await import("../dist/host/index.js");
  const host = new MmfHost(hostOptions);
  const wasm = readFileSync(new URL("../dist/test-guests/raw.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(wasm, {
    mmf: host.imports,
    env: {
      abort() {
        throw new Error("abort");
      },
    },
  });
  host.attach(instance);
  return { host, g: /** @type {any} */ (instance.exports) };
}

/** Lines of /proc/self/maps that name `path`. */
export function mapsOf(path) {
  return readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .filter((l) => l.includes(path));
}

/**
 * Whether the suites run under qemu-user (the arm64 prebuild's tests). Debian 12's qemu 7.2 has no
 * openat2 (ENOSYS: the helper takes its component walk) and ignores MADV_POPULATE_READ.
 */
export const underQemu = /qemu/.test(testNode.file);

/** The backend the suites run against (test/run.mjs runs them once per backend). */
export const backend = process.env.MMF_BACKEND || "native";

/**
 * Registers a long test whose subject does not depend on the backend (the core module's bounds
 * and allocator, windows past 4 GiB): npm test runs it on the native backend, where it is faster,
 * and MMF_RELIABILITY=1 (npm run test:reliability) on both. Skipped otherwise, the reason printed.
 */
export function longOnEmulatedTest(suite, name, fn) {
  if (backend === "emulated" && process.env.MMF_RELIABILITY !== "1") {
    console.log(`  skipped on the emulated backend (backend-independent and long there; MMF_RELIABILITY=1 runs it): ${name}`);
    suite.skip(name, fn);
  } else {
    suite(name, fn);
  }
}

/**
 * Registers a long test that only MMF_RELIABILITY=1 (npm run test:reliability) runs; npm test
 * skips it, says so, and runs a short version of its own.
 */
export function reliabilityTest(suite, name, fn) {
  if (process.env.MMF_RELIABILITY !== "1") {
    console.log(`  skipped (MMF_RELIABILITY=1 runs it): ${name}`);
    suite.skip(name, fn);
  } else {
    suite(name, fn);
  }
}

/**
 * Registers a test of what only real mapping gives (coherence with other writers, no copying):
 * on the emulated backend it is skipped, and the reason printed.
 */
export function realMappingTest(suite, name, fn) {
  if (backend === "emulated") {
    console.log(`  skipped on the emulated backend (it copies instead of mapping): ${name}`);
    suite.skip(name, fn);
  } else {
    suite(name, fn);
  }
}

/**
 * What a test holds, released after it whether it passed or failed: `const track = tracked(test)`
 * registers an after.each hook on the suite `test`; inside a test, `track(x)` returns x and
 * releases it after the test, latest first:
 * - a worker thread is terminated, a child process killed (and waited for);
 * - a guest from loadGuest has its host closed;
 * - anything else with close() (MemoryRegion, MappedFile, Mmf, MmfHost) or [Symbol.dispose] is closed.
 * `track.fd(fd)` closes a descriptor the test left open; a test closes a tracked descriptor
 * with `track.close(fd)` (never closeSync), so that the release never closes the number when it
 * went to another descriptor since (the native helper's own, say). `track.path(path)` removes a file or folder, `track.dir(prefix)` makes a temporary
 * folder that is removed, `track.defer(fn)` runs fn. An MmfError from a close is the resource's
 * own fault (a truncated region throws it at close) and is dropped; any other failure to release
 * is printed and fails the file (exit code 1), without stopping the release of the rest.
 * @param {import("uvu").Test} suite
 */
export function tracked(suite) {
  /** @type {Array<() => unknown>} */
  let held = [];
  const defer = (release) => {
    held.push(release);
  };
  /** @template T @param {T} resource @returns {T} */
  const track = (resource) => {
    defer(() => release(resource));
    return resource;
  };
  track.defer = defer;
  /** Descriptors tracked and not closed through track.close yet. */
  const openTracked = new Set();
  /** @param {number} fd */
  track.fd = (fd) => {
    const { dev, ino } = fstatSync(fd);
    openTracked.add(fd);
    defer(() => {
      if (!openTracked.delete(fd)) return; // closed by the test, its number maybe another file's now
      // A backstop for a closeSync that bypassed track.close: only the same file is closed.
      let now;
      try {
        now = fstatSync(fd);
      } catch {
        return;
      }
      if (now.dev === dev && now.ino === ino) closeSync(fd);
    });
    return fd;
  };
  /** Closes a descriptor (tracked or not) so that the release after the test leaves its number alone. */
  track.close = (/** @type {number} */ fd) => {
    openTracked.delete(fd);
    closeSync(fd);
  };
  /** @param {string} path */
  track.path = (path) => {
    defer(() => rmSync(path, { recursive: true, force: true }));
    return path;
  };
  track.dir = (prefix = "mmf-test-") => track.path(mkdtempSync(join(tmpdir(), prefix)));
  suite.after.each(async () => {
    const releases = held.reverse();
    held = [];
    for (const release of releases) {
      try {
        await release();
      } catch (err) {
        if (err?.name === "MmfError") continue;
        console.error(`  cleanup after a test failed: ${err?.stack ?? err}`);
        process.exitCode = 1;
      }
    }
  });
  return track;
}

/** Releases one tracked resource (see tracked). */
async function release(resource) {
  if (!resource || (typeof resource !== "object" && typeof resource !== "function")) return;
  if (typeof resource.terminate === "function") {
    await resource.terminate(); // a Worker
  } else if (typeof resource.kill === "function" && "pid" in resource) {
    // A ChildProcess: killed, then waited for, so that it holds nothing when the next test starts.
    if (resource.exitCode === null && resource.signalCode === null) {
      const exited = new Promise((resolve) => resource.once("exit", resolve));
      resource.kill("SIGKILL");
      await exited;
    }
  } else if (typeof resource.call === "function" && typeof resource.host?.close === "function") {
    resource.host.close(); // a guest from loadGuest: its host holds its regions and handles
  } else if (typeof resource.close === "function") {
    resource.close();
  } else if (typeof resource[Symbol.dispose] === "function") {
    resource[Symbol.dispose]();
  }
}
