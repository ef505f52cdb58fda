// Small-operation costs of the JavaScript API, optionally side by side with another build of this
// package (a checkout of another commit, built): map + close of a 64 KiB region (when it is the
// file's only mapping, and with another region of the file kept mapped), and a 64 B readAt/writeAt
// in a 1 MiB region. Each figure is the median of 7 rounds in one process; the builds run in
// alternating fresh processes, `--turns` times each, and the medians of those are compared.
//   node bench/map-cycle.mjs [--against DIR] [--turns N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = fileURLToPath(new URL("..", import.meta.url));

if (process.argv[2] === "--child") {
  const [, , , root, file] = process.argv;
  const m = await import(join(root, "dist/host/index.js"));
  const mmf = m.createMmf({ backend: "native" });
  const f = m.openFile(file, "r+");
  const median = (fn) => {
    const out = [];
    for (let r = 0; r < 7; r++) out.push(fn());
    return out.sort((a, b) => a - b)[3];
  };
  const cycles = (n) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) mmf.newMemoryRegion(f, i % 2 ? m.MEM_READ_ONLY : m.MEM_READWRITE, (i * 4096) % (1 << 20), 65536).close();
    return Number(process.hrtime.bigint() - t) / n / 1000;
  };
  const result = { "map + close, the file's only mapping (µs)": median(() => cycles(3000)) };
  const kept = mmf.newMemoryRegion(f, m.MEM_READ_ONLY, 0, 4096);
  result["map + close, the file kept mapped (µs)"] = median(() => cycles(3000));
  kept.close();
  const region = mmf.newMemoryRegion(f, m.MEM_READWRITE, 0, 1 << 20);
  const reader = new m.MemoryRegionReader(region);
  const writer = new m.MemoryRegionWriter(region);
  const p = new Uint8Array(64);
  const calls = (fn) => {
    const n = 1_000_000;
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn((i * 4099) & 0xfff00);
    return Number(process.hrtime.bigint() - t) / n;
  };
  result["readAt 64 B from JavaScript (ns)"] = median(() => calls((o) => reader.readAt(p, o)));
  result["writeAt 64 B from JavaScript (ns)"] = median(() => calls((o) => writer.writeAt(p, o)));
  region.close();
  f.close();
  console.log(JSON.stringify(result));
} else {
  const { values } = parseArgs({ options: { against: { type: "string" }, turns: { type: "string", default: "6" } } });
  const roots = { this: here, ...(values.against ? { against: resolve(values.against) } : {}) };
  const dir = mkdtempSync(join(tmpdir(), "mmf-map-cycle-"));
  try {
    const file = join(dir, "data.bin");
    writeFileSync(file, new Uint8Array(2 << 20).fill(1));
    const runs = Object.fromEntries(Object.keys(roots).map((k) => [k, []]));
    for (let turn = 0; turn < Number(values.turns); turn++) {
      for (const [name, root] of Object.entries(roots)) {
        const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", root, file], { encoding: "utf8" });
        if (child.status !== 0) throw new Error(`${name}: ${child.stderr}`);
        runs[name].push(JSON.parse(child.stdout));
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    for (const key of Object.keys(runs.this[0])) {
      const mine = median(runs.this.map((r) => r[key]));
      let line = `${key.padEnd(45)} ${mine.toFixed(1).padStart(8)}`;
      if (runs.against) {
        const other = median(runs.against.map((r) => r[key]));
        line += `   against ${other.toFixed(1).padStart(8)}   ratio ${(mine / other).toFixed(2)}`;
      }
      console.log(line);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
