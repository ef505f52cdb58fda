// The benchmark's outputs: a table on stdout, bench/results.json and bench/chart.svg.
import { writeFileSync } from "node:fs";

const UNITS = {
  ms: (v) => `${v.toFixed(v < 1 ? 4 : 1)} ms`,
  us: (v) => `${v.toFixed(1)} µs`,
  ns: (v) => `${v.toFixed(v < 10 ? 1 : 0)} ns`,
  bytes: (v) => `${(v / 2 ** 20).toFixed(1)} MiB`,
};

export function printTable(rows) {
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`  ${r.name.padEnd(width)}  ${UNITS[r.unit](r.value).padStart(14)}`);
}

/** A target is met when the measure, as a ratio to its floor (or reference), is at most the target. */
export const met = (t) => t.ratio <= t.target;

const shown = (x) => (Math.abs(x) < 0.01 && x !== 0 ? x.toExponential(1) : x.toFixed(2));

export function printTargets(targets) {
  console.log("\nTargets: each measure as a ratio to its floor or reference, measured in this run (met at or below the target):");
  const width = Math.max(...targets.map((t) => t.name.length));
  for (const t of targets) {
    console.log(`  ${met(t) ? "met   " : "MISSED"}  ${t.name.padEnd(width)}  ${shown(t.ratio).padStart(8)}x   (target <= ${shown(t.target)}x)`);
  }
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

/**
 * A horizontal bar per target: its ratio to its floor on a linear axis from 0, the floor (1x) as a
 * solid line, its target as a dashed mark; green when met, red when missed. Ratios past the axis
 * are cut at its end, with their value written.
 */
export function chartSvg(targets, title, subtitle) {
  const rowH = 30;
  const left = 430;
  const width = 1180;
  const plot = width - left - 240;
  const top = 70;
  const height = top + rowH * targets.length + 40;
  const max = Math.min(4, Math.max(2, ...targets.map((t) => Math.max(t.ratio, t.target) * 1.1)));
  const x = (v) => left + (Math.min(v, max) / max) * plot;
  const ticks = [];
  for (let v = 0; v <= max + 1e-9; v += 0.5) {
    ticks.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${height - 34}" stroke="#ddd"/>` +
        `<text x="${x(v)}" y="${height - 20}" text-anchor="middle" font-size="11" fill="#555">${v}x</text>`,
    );
  }
  const bars = targets
    .map((t, i) => {
      const y = top + i * rowH;
      const color = met(t) ? "#2e9d5b" : "#d1453b";
      const cut = t.ratio > max ? " ▶" : "";
      return `<text x="${left - 10}" y="${y + 15}" text-anchor="end" font-size="12">${esc(t.name)}</text>
<rect x="${left}" y="${y + 3}" width="${Math.max(x(t.ratio) - left, 1)}" height="16" fill="${color}"/>
<line x1="${x(t.target)}" x2="${x(t.target)}" y1="${y}" y2="${y + 22}" stroke="#000" stroke-width="2" stroke-dasharray="4,2"/>
<text x="${x(Math.max(t.ratio, t.target)) + 6}" y="${y + 15}" font-size="11">${shown(t.ratio)}x${cut} (target ${shown(t.target)}x, ${met(t) ? "met" : "missed"})</text>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="10" y="42" font-size="11" fill="#444">${esc(subtitle)}</text>
${ticks.join("\n")}
<line x1="${x(1)}" x2="${x(1)}" y1="${top - 10}" y2="${height - 34}" stroke="#333" stroke-width="1.5"/>
<text x="${x(1)}" y="${top - 14}" text-anchor="middle" font-size="11">floor (1x)</text>
${bars}
<text x="${left}" y="${height - 4}" font-size="10" fill="#555">time (or size) of each measure / its floor, both from this run; lower is better; dashed: the target; green: met, red: missed</text>
</svg>
`;
}

export function writeOutputs(dir, results) {
  const targets = results.targets.map((t) => ({ ...t, met: met(t) }));
  writeFileSync(new URL("results.json", dir), JSON.stringify({ ...results, targets }, null, 2) + "\n");
  const m = results.machine;
  writeFileSync(
    new URL("chart.svg", dir),
    chartSvg(
      targets,
      `wasm-mmf: ratios to the floors, ${results.date.slice(0, 10)}`,
      `${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}; ${results.command}`,
    ),
  );
}
