// Timing helpers: medians of repeated runs, in milliseconds.

export function timeMs(fn) {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median time of `runs` calls of fn (after `setup` and before `teardown`, untimed, each run). */
export async function medianMs(runs, fn, { setup, teardown } = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const state = setup ? await setup() : undefined;
    times.push(timeMs(() => fn(state)).ms);
    if (teardown) await teardown(state);
  }
  return median(times);
}

/**
 * Medians of several variants measured in turns: run i of every variant before run i+1 of any,
 * so that the machine's drift (a shared, noisy machine) hits all of them alike.
 * variants: { name: { fn, setup?, teardown?, selfTimed? } } -> { name: median ms }; a selfTimed
 * fn returns its own time in ms (a program that times itself).
 */
export async function interleavedMedians(runs, variants) {
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, { fn, setup, teardown, selfTimed }] of Object.entries(variants)) {
      const state = setup ? await setup() : undefined;
      times[name].push(selfTimed ? fn(state) : timeMs(() => fn(state)).ms);
      if (teardown) await teardown(state);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}
