// Memory of four worker_threads that each map (or copy in) the same file and scan it.
// node bench/memory-workers.mjs FILE BYTES map|copy -> JSON of RSS, Pss and AnonPages growth in bytes.
// Run in a process of its own, so that nothing else moves its figures.
import { readFileSync } from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

function kib(text, field) {
  return Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))[1]) * 1024;
}

function figures() {
  return {
    rss: kib(readFileSync("/proc/self/status", "utf8"), "VmRSS"),
    pss: kib(readFileSync("/proc/self/smaps_rollup", "utf8"), "Pss"),
    anon: kib(readFileSync("/proc/meminfo", "utf8"), "AnonPages"),
  };
}

if (isMainThread) {
  const [path, bytes, how] = process.argv.slice(2);
  const before = figures();
  const workers = [];
  await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { path, size: Number(bytes), how } });
          workers.push(w);
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  const after = figures();
  for (const w of workers) w.postMessage("exit");
  console.log(JSON.stringify({ rss: after.rss - before.rss, pss: after.pss - before.pss, anon: after.anon - before.anon }));
} else {
  const { mmfGuest, copyInGuest } = await import("./setups.mjs");
  const { path, size, how } = workerData;
  const guest = how === "map" ? await mmfGuest(path, "native") : await copyInGuest(path);
  const addr = guest.map(size);
  guest.exports.sumU64(addr, size);
  parentPort.postMessage("ready");
  parentPort.once("message", () => {
    guest.unmap();
    guest.dispose();
    process.exit(0);
  });
}
