// The benchmark's outputs: a table on stdout, bench/results.json and bench/chart.svg.
import { writeFileSync } from "node:fs";

export function printTable(rows) {
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const value = r.unit === "ms" ? `${r.value.toFixed(r.value < 1 ? 4 : 1)} ms` : r.unit === "ns" ? `${r.value.toFixed(0)} ns` : `${(r.value / 2 ** 20).toFixed(1)} MiB`;
    console.log(`  ${r.name.padEnd(width)}  ${value.padStart(14)}`);
  }
}

export function printTargets(targets) {
  console.log("\nTargets (ratios from this run):");
  for (const t of targets) {
    console.log(`  ${t.pass ? "met   " : "MISSED"}  ${t.name}: ${t.ratio.toFixed(t.ratio < 10 ? 2 : 0)}x (target ${t.target}x)`);
  }
}

/** A horizontal bar per target: the measured ratio against the target, on a log scale. */
export function chartSvg(targets, title) {
  const rowH = 34;
  const left = 400;
  const width = 1000;
  const height = 60 + rowH * targets.length;
  const max = Math.max(...targets.map((t) => Math.max(t.ratio, t.target))) * 2;
  const x = (v) => left + (Math.log10(Math.max(v, 0.1)) - Math.log10(0.1)) / (Math.log10(max) - Math.log10(0.1)) * (width - left - 20);
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const bars = targets.map((t, i) => {
    const y = 40 + i * rowH;
    return `<text x="${left - 8}" y="${y + 16}" text-anchor="end" font-size="12">${esc(t.name)}</text>
<rect x="${x(0.1)}" y="${y + 4}" width="${x(t.ratio) - x(0.1)}" height="16" fill="${t.pass ? "#3a7" : "#d54"}"/>
<line x1="${x(t.target)}" x2="${x(t.target)}" y1="${y}" y2="${y + 24}" stroke="#000" stroke-dasharray="3,2"/>
<text x="${x(t.ratio) + 4}" y="${y + 16}" font-size="11">${t.ratio.toFixed(t.ratio < 10 ? 2 : 0)}x</text>`;
  }).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="14" font-weight="bold">${esc(title)}</text>
${bars}
<text x="${left}" y="${height - 8}" font-size="10">log scale; dashed line = target; green = met</text>
</svg>
`;
}

export function writeOutputs(dir, results) {
  writeFileSync(new URL("results.json", dir), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(new URL("chart.svg", dir), chartSvg(results.targets, `wasm-mmf benchmark, ${results.fileMiB} MiB file, ${results.machine.cpu}`));
}
