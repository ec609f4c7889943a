// Measure 8: past one machine, simulated on this one. Two replicas of accounts behind the gateway (round
// robin), every verifier following the revocation feed over NATS and the gateway's rate-limit counters in
// Redis, against the same system with one replica. Its own layout: the system on both cores, the load
// generator beside it on both cores.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { barChart } from './chart.mjs';
import { alternateLoad, seriesTable } from './load.mjs';
import { fmt } from './measure.mjs';
import { profileRun } from './revocation.mjs';
import { AUDIENCE, signIn } from './tokens.mjs';
import { pinned, startSystem } from './system.mjs';

const PATH = '/api/accounts/me';
const CONNECTIONS = 100;
const BOTH_CORES = '0,1';

/** This process's (all its threads') affinity: the load generator moves beside the system for this measure. */
function pinSelf(cores) {
  if (pinned() && existsSync('/usr/bin/taskset')) spawnSync('/usr/bin/taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
}

async function requestsServed(replica) {
  const text = await (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('http_request_duration_seconds_count{') && row.includes(`route="${PATH}"`) && row.includes('status="200"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

export async function measure({ settings, log }) {
  const systems = [];
  pinSelf(BOTH_CORES);
  try {
    const shared = { cores: BOTH_CORES, redis: true, nats: true };
    const one = await startSystem({ ...shared, accountsReplicas: 1 });
    systems.push(one);
    const two = await startSystem({ ...shared, accountsReplicas: 2 });
    systems.push(two);
    const tokens = { one: (await signIn(one)).accessTokens[AUDIENCE.accounts], two: (await signIn(two)).accessTokens[AUDIENCE.accounts] };
    const series = (system, token) => () => ({ url: `${system.gateway.url}${PATH}`, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS });
    const before = await Promise.all(two.replicas.map(requestsServed));
    const results = await alternateLoad({ 'gateway → 1 accounts replica': series(one, tokens.one), 'gateway → 2 accounts replicas': series(two, tokens.two) }, settings);
    const served = (await Promise.all(two.replicas.map(requestsServed))).map((count, index) => count - before[index]);
    const share = served.map(
      (count) =>
        count /
        Math.max(
          1,
          served.reduce((sum, value) => sum + value, 0),
        ),
    );
    for (const [name, result] of Object.entries(results)) log(`${name}: ${fmt(result.median)}/s p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms`);
    log(`requests per replica: ${served.map(fmt).join(' / ')}`);
    for (const system of systems.splice(0)) await system.stop();

    // Revocation with NATS, one replica against two, on the same layout: every replica must refuse.
    const count = settings.smoke ? 1 : 25; // per kind: 2 × count revocations per series
    const timing = {};
    for (const replicas of [1, 2]) {
      const samples = await profileRun({ nats: true, pollMs: 60_000, system: { ...shared, accountsReplicas: replicas } }, count, settings.smoke, log);
      const values = samples.map((sample) => sample.fromReturn).sort((a, b) => a - b);
      timing[replicas] = { n: values.length, p50: values[Math.floor(values.length / 2)], p99: values[Math.min(values.length - 1, Math.floor(values.length * 0.99))] };
    }
    const single = results['gateway → 1 accounts replica'];
    const double = results['gateway → 2 accounts replicas'];
    const totalRatio = double.median / single.median;
    const evenness = Math.min(...share) / Math.max(...share);
    return {
      targets: [
        { target: 'two replicas: total throughput holds (≥ 0.9 × one replica on the same two cores)', figure: `${totalRatio.toFixed(2)} ×`, met: totalRatio >= 0.9 },
        {
          target: 'two replicas: requests shared evenly (smaller share ≥ 0.9 × larger)',
          figure: share.map((value) => `${(value * 100).toFixed(1)} %`).join(' / '),
          met: evenness >= 0.9,
        },
        {
          target: 'two replicas: revoke → 401 at every hop and replica holds (NATS, p99 < 1 s)',
          figure: `p50 ${timing[2].p50.toFixed(0)} ms, p99 ${timing[2].p99.toFixed(0)} ms (one replica: ${timing[1].p50.toFixed(0)} / ${timing[1].p99.toFixed(0)} ms)`,
          met: timing[2].p99 < 1_000,
        },
      ],
      charts: {
        'replicas.svg': barChart({
          title: 'Through the gateway, one vs two accounts replicas (two cores)',
          unit: 'requests/s',
          rows: Object.entries(results).map(([label, result]) => ({ label, ...result })),
        }),
      },
      section: `## 8. Two replicas of accounts

Layout of its own: the system (auth server, gateway, loans, cards and one or two accounts replicas) on
both cores, the load generator (autocannon, ${CONNECTIONS} connections) beside it on both cores. Every verifier
follows the revocation feed with NATS signals (a real nats-server); the gateway keeps its rate-limit
counters in Redis and relays \`/api/accounts\` to the replicas in turn (\`ACCOUNTS_URL\` lists both). Both
systems run side by side and are loaded in turn. \`GET /api/accounts/me\` with alice's token (cache warm).

![requests per second](benchmarks/replicas.svg)

${seriesTable(results)}

- Requests served by each replica during the two-replica series: ${served.map(fmt).join(' and ')} (${share.map((value) => `${(value * 100).toFixed(1)} %`).join(' / ')}).
- Revocation with NATS (section 7's method, ${timing[2].n} revocations per series, half access tokens, half
  grants; every replica of accounts is a hop of its own): one replica p50 ${timing[1].p50.toFixed(0)} ms, p99
  ${timing[1].p99.toFixed(0)} ms; two replicas p50 ${timing[2].p50.toFixed(0)} ms, p99 ${timing[2].p99.toFixed(0)} ms, from the revoking call's
  return to the last hop's 401.
- On one two-core machine the replicas share the cores the single replica had, so throughput *per replica*
  halves by construction; what this run can show is what a second replica costs in total
  (${totalRatio.toFixed(2)} × one replica: one more process with its own event loop, GC and connection pools
  competing for the same two cores) and that it takes an even share. On two machines each replica would have
  its own cores, and nothing it needs per request is shared but the token (verified locally) and Redis
  counters (in the gateway only).
`,
    };
  } finally {
    for (const system of systems) await system.stop();
    pinSelf('1');
  }
}
