// How every figure is taken: a warm-up, then A and B alternated round by round (A B A B …), each
// round a fixed wall-clock slice; the median of the rounds, with min and max beside it. Ratios are
// always taken between A and B of the same run.

/** Runs `operation` (sync or async) as often as it can for `ms`; returns operations per second. */
export async function rate(operation, ms) {
  const deadline = performance.now() + ms;
  let count = 0;
  let now = performance.now();
  const started = now;
  while (now < deadline) {
    for (let i = 0; i < 64; i += 1) {
      const result = operation(count + i);
      if (result && typeof result.then === 'function') await result;
    }
    count += 64;
    now = performance.now();
  }
  return (count * 1000) / (now - started);
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** { name: operation } measured alternately: { name: { median, min, max, runs } }. */
export async function alternate(operations, { rounds, sliceMs, warmupMs }) {
  for (const operation of Object.values(operations)) await rate(operation, warmupMs);
  const runs = Object.fromEntries(Object.keys(operations).map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, operation] of Object.entries(operations)) runs[name].push(await rate(operation, sliceMs));
  }
  return Object.fromEntries(Object.entries(runs).map(([name, values]) => [name, { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values }]));
}

export const fmt = (value) => Math.round(value).toLocaleString('en-US');
