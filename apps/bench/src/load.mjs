// HTTP load from the benchmark process (which runs on the load-generator core): autocannon, keep-alive
// HTTP/1.1, no pipelining. Latency is taken from every response's own high-resolution time (autocannon's
// histogram rounds to whole milliseconds, too coarse for "added p50 ≤ 1 ms").
import autocannon from 'autocannon';
import { fmt, median } from './measure.mjs';

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * One load run. `requests` (autocannon's request sequence, with setupRequest/onResponse hooks) lets a
 * series change every request, e.g. a new token each time.
 * @returns {Promise<{ rps: number, p50: number, p99: number, ok: number, failed: number, statuses: Record<string, number> }>}
 */
export function load({ url, method = 'GET', headers = {}, body, connections = 50, durationMs, requests, amount }) {
  return new Promise((resolve, reject) => {
    const times = [];
    const statuses = {};
    const instance = autocannon(
      {
        url,
        method,
        headers,
        body,
        connections,
        pipelining: 1,
        timeout: 10,
        ...(amount ? { amount } : { duration: durationMs / 1000 }),
        ...(requests ? { requests } : {}),
      },
      (error, result) => {
        if (error) return reject(error);
        times.sort((a, b) => a - b);
        const ok = result['2xx'];
        const seconds = result.duration;
        resolve({
          rps: ok / seconds,
          p50: percentile(times, 50),
          p99: percentile(times, 99),
          ok,
          failed: result.non2xx + result.errors + result.timeouts,
          statuses,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
}

/** A series' rounds as its figures: medians (throughput with min–max, p50, p99) and the rounds themselves. */
export function summarize(values) {
  const rps = values.map((value) => value.rps);
  return {
    median: median(rps),
    min: Math.min(...rps),
    max: Math.max(...rps),
    p50: median(values.map((value) => value.p50)),
    p99: median(values.map((value) => value.p99)),
    runs: values,
  };
}

/**
 * HTTP series measured alternately (A B A B …) after one warm-up each (none with `warmupMs: 0`):
 * { name: () => load options }. A series with a single failed request throws: only answered requests count.
 */
export async function alternateLoad(series, { rounds, sliceMs, warmupMs }) {
  if (warmupMs > 0) for (const options of Object.values(series)) await load({ ...options(), durationMs: warmupMs });
  const runs = Object.fromEntries(Object.keys(series).map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, options] of Object.entries(series)) runs[name].push(await load({ ...options(), durationMs: sliceMs }));
  }
  return Object.fromEntries(
    Object.entries(runs).map(([name, values]) => {
      const failed = values.reduce((sum, value) => sum + value.failed, 0);
      if (failed) {
        const statuses = values.reduce(
          (all, value) => ({ ...all, ...Object.fromEntries(Object.entries(value.statuses).map(([code, count]) => [code, (all[code] ?? 0) + count])) }),
          {},
        );
        throw new Error(`${name}: ${failed} requests failed (statuses ${JSON.stringify(statuses)}): a benchmark counts only answered requests`);
      }
      return [name, summarize(values)];
    }),
  );
}

/** The markdown table of HTTP series: throughput median with min–max, p50, p99. */
export function seriesTable(results) {
  const rows = Object.entries(results).map(
    ([name, result]) => `| ${name} | ${fmt(result.median)} | ${fmt(result.min)}–${fmt(result.max)} | ${result.p50.toFixed(2)} ms | ${result.p99.toFixed(2)} ms |`,
  );
  return ['| series | requests/s (median) | min–max | p50 | p99 |', '| --- | ---: | ---: | ---: | ---: |', ...rows].join('\n');
}
