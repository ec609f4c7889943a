// Measure 3: the gateway. gateway → accounts (both verifying, both on core 0) against accounts directly
// on core 0; and the gateway against its own proxy path without verification (@trustline/relay in a
// fixture on the same bootstrap), both relaying to the same accounts. Peak RSS of the five apps under
// this load is measure 6's third figure.
import { join } from 'node:path';
import { barChart } from './chart.mjs';
import { alternateLoad, seriesTable } from './load.mjs';
import { fmt } from './measure.mjs';
import { AUDIENCE, signIn } from './tokens.mjs';
import { launch, rssOf, startSystem } from './system.mjs';

const PATH = '/api/accounts/me';
const CONNECTIONS = 50;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export async function measure({ settings, log }) {
  const system = await startSystem();
  let relay;
  try {
    relay = await launch({
      name: 'relay-unverified',
      script: join(import.meta.dirname, 'fixtures/relay-unverified.mjs'),
      env: { PATH: process.env.PATH, ACCOUNTS_URL: system.accounts.url },
    });
    const alice = await signIn(system);
    const token = alice.accessTokens[AUDIENCE.accounts];
    const series =
      (url, connections = CONNECTIONS) =>
      () => ({ url: `${url}${PATH}`, headers: { authorization: `Bearer ${token}` }, connections });
    const apps = [system.auth, system.gateway, system.accounts, system.loans, system.cards];
    let peakRss = 0;
    const sampler = setInterval(
      () =>
        (peakRss = Math.max(
          peakRss,
          apps.reduce((sum, app) => sum + rssOf(app.pid), 0),
        )),
      100,
    );

    const hop = await alternateLoad({ 'accounts directly': series(system.accounts.url), 'gateway → accounts': series(system.gateway.url) }, settings);
    const oneConnection = await alternateLoad(
      { 'accounts directly, 1 connection': series(system.accounts.url, 1), 'gateway → accounts, 1 connection': series(system.gateway.url, 1) },
      settings,
    );
    const verification = await alternateLoad(
      { 'gateway (verifies) → accounts': series(system.gateway.url), 'gateway proxy path, no verification → accounts': series(relay.url) },
      settings,
    );
    clearInterval(sampler);
    const all = { ...hop, ...oneConnection, ...verification };
    for (const [name, result] of Object.entries(all)) log(`${name}: ${fmt(result.median)}/s p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms`);
    const hopRatio = hop['gateway → accounts'].median / hop['accounts directly'].median;
    const addedP50 = oneConnection['gateway → accounts, 1 connection'].p50 - oneConnection['accounts directly, 1 connection'].p50;
    const verifyRatio = verification['gateway (verifies) → accounts'].median / verification['gateway proxy path, no verification → accounts'].median;
    log(`peak RSS of the five under load: ${mib(peakRss)}`);
    return {
      targets: [
        { target: 'gateway → accounts ≥ 0.4 × accounts directly (all on core 0)', figure: `${hopRatio.toFixed(2)} ×`, met: hopRatio >= 0.4 },
        { target: 'gateway adds ≤ 1 ms p50 at one connection', figure: `${addedP50.toFixed(2)} ms`, met: addedP50 <= 1 },
        { target: 'gateway with verification ≥ 0.9 × its proxy path without', figure: `${verifyRatio.toFixed(2)} ×`, met: verifyRatio >= 0.9 },
      ],
      peakRss,
      charts: {
        'gateway.svg': barChart({
          title: 'GET /api/accounts/me through the gateway, everything on one core',
          unit: 'requests/s',
          rows: Object.entries({ ...hop, ...verification }).map(([label, result]) => ({ label, ...result })),
        }),
      },
      section: `## 3. The gateway

The five apps as shipped on core 0, plus the unverified proxy fixture (the gateway's own
\`@trustline/relay\` on the same service bootstrap, no guard) on core 0; autocannon on core 1,
${CONNECTIONS} connections unless stated. \`GET /api/accounts/me\` with alice's access token for accounts
(cache warm, as a client reuses its token): through the gateway both the gateway and accounts verify it.
The gateway's rate limits are raised for the run (one address and one caller would only measure 429s).

![requests per second](benchmarks/gateway.svg)

${seriesTable(all)}

- Through the gateway: ${hopRatio.toFixed(2)} × accounts directly (target ≥ 0.4; 0.5 would mean the gateway
  costs no more CPU per request than the service).
- Added p50 latency at one connection: ${addedP50.toFixed(2)} ms (target ≤ 1 ms).
- Verification in the gateway: ${verifyRatio.toFixed(2)} × its proxy path without it (target ≥ 0.9).
- Peak RSS of the five apps during these series: ${mib(peakRss)}.

**Profiled and changed.** The first full run had gateway → accounts at 0.13 × and the gateway at 0.46 × its
unverified proxy path: 13 % of the gateway's CPU was \`@nestjs/throttler\`'s in-memory store, a sliding log
that filters one timestamp per hit on every request (its cost grows with the limit, which this bench raises so
that one caller is never refused). Per-caller limits now count in O(1) fixed windows (rate-limiter-flexible;
the Redis store is unchanged), and trace ids come from a pooled random buffer instead of one CSPRNG call per
request: 0.23–0.24 × and 0.86–1.00 × in the runs since. What remains is spread thin: socket writes 11 %, GC
10 %, undici and Fastify's reply path, helmet and CORS headers; per request one core runs two HTTP servers
and one HTTP client. 0.4 × would need the gateway to cost no more CPU than accounts; it costs about three
times as much (≈ 460 µs against ≈ 150 µs per request).
`,
    };
  } finally {
    await relay?.stop();
    await system.stop();
  }
}
