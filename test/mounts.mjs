// @ts-check
// Small real file systems for the tests of a full or failing device: a tmpfs of a given size, and
// an ext4 image on a loop device (which the test can shrink under the file system, so that reads
// of blocks past the new end fail with EIO). Needs root; each helper unmounts and detaches in a
// finally, also when an assertion fails, and at exit if the process gets there first.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cleanups = new Set();
process.on("exit", () => {
  for (const cleanup of [...cleanups].reverse()) cleanup();
});

function run(command, ...args) {
  const r = spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout.trim();
}

/** Why the mount tests cannot run here, or undefined when they can (root, tmpfs, loop, mkfs.ext4). */
export function mountUnavailable() {
  if (process.getuid?.() !== 0) return "needs root (mount, losetup)";
  for (const tool of ["mount", "umount", "losetup", "mkfs.ext4"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

/** Unmounts `dir` (lazily if something still holds it), at most once. */
function unmounter(dir) {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir]);
  };
}

function once(cleanup) {
  const wrapped = () => {
    cleanups.delete(wrapped);
    cleanup();
  };
  cleanups.add(wrapped);
  return wrapped;
}

/** Runs fn(dir) with a fresh tmpfs of `bytes` mounted at dir. */
export async function withTmpfs(bytes, fn) {
  const base = mkdtempSync(join(tmpdir(), "mmf-tmpfs-"));
  let mounted = false;
  const cleanup = once(() => {
    if (mounted) unmounter(base)();
    rmSync(base, { recursive: true, force: true });
  });
  try {
    run("mount", "-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", base);
    mounted = true;
    return await fn(base);
  } finally {
    cleanup();
  }
}

/**
 * Runs fn({ dir, shrink }) with a fresh ext4 file system of `bytes` (4 KiB blocks, no journal, no
 * reserved blocks) on a loop device, mounted at dir. shrink(bytes) cuts the device under the
 * mounted file system: reads of blocks past the new end fail with EIO.
 */
export async function withExt4(bytes, fn) {
  const base = mkdtempSync(join(tmpdir(), "mmf-ext4-"));
  const image = join(base, "fs.img");
  const dir = join(base, "mnt");
  let device;
  let mounted = false;
  const cleanup = once(() => {
    if (mounted) unmounter(dir)();
    if (device) spawnSync("losetup", ["-d", device]);
    rmSync(base, { recursive: true, force: true });
  });
  try {
    mkdirSync(dir);
    writeFileSync(image, "");
    truncateSync(image, bytes);
    run("mkfs.ext4", "-q", "-F", "-b", "4096", "-m", "0", "-O", "^has_journal", image);
    device = run("losetup", "--find", "--show", image);
    run("mount", device, dir);
    mounted = true;
    const shrink = (size) => {
      truncateSync(image, size);
      run("losetup", "-c", device);
    };
    return await fn({ dir, device, shrink });
  } finally {
    cleanup();
  }
}

/** Writes dirty pages out and drops the clean ones of `path` from the page cache (GNU dd's nocache). */
export function dropCache(path) {
  run("sync");
  run("dd", `if=${path}`, "iflag=nocache", "count=0", "status=none");
}
