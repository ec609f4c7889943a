// Measure 2: a service's own verification on its hot route, GET /api/accounts/me (the principal as
// accounts verified it; no database), against two Nest + Fastify baselines on the same core: a hello
// app (no guard at all) for the cached path, and an app whose guard only calls jose `jwtVerify` for a new
// token on every request.
import { join } from 'node:path';
import { barChart } from './chart.mjs';
import { alternateLoad, seriesTable } from './load.mjs';
import { fmt } from './measure.mjs';
import { activeSigningKey, AUDIENCE, eachRequestNewToken, signIn, tokensLike } from './tokens.mjs';
import { launch, startSystem } from './system.mjs';

const PATH = '/api/accounts/me';
const CONNECTIONS = 50;

export async function measure({ settings, log }) {
  const system = await startSystem({ only: ['accounts'] });
  const fixtures = [];
  try {
    const fixture = async (name, env = {}) => {
      const running = await launch({ name, script: join(import.meta.dirname, 'fixtures', `${name}.mjs`), env: { PATH: process.env.PATH, ...env } });
      fixtures.push(running);
      return running;
    };
    const hello = await fixture('nest-hello');
    const joseGuard = await fixture('jose-guard', { ISSUER_URL: system.issuer, AUDIENCE: AUDIENCE.accounts });
    const alice = await signIn(system);
    const token = alice.accessTokens[AUDIENCE.accounts];
    // Enough never-seen tokens for every request of the two uncached series (warm-up included).
    const perSeries = settings.smoke ? 20_000 : 160_000;
    const key = await activeSigningKey(system.auth);
    const pools = { jose: tokensLike(token, key, perSeries), accounts: tokensLike(token, key, perSeries) };
    const same = (url) => () => ({ url: `${url}${PATH}`, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS });
    const fresh = (url, pool) => () => ({ url, connections: CONNECTIONS, requests: eachRequestNewToken(PATH, pool) });

    const cached = await alternateLoad(
      { 'Nest + Fastify hello (no guard)': same(hello.url), 'accounts, same token (verified-token cache warm)': same(system.accounts.url) },
      settings,
    );
    const uncached = await alternateLoad(
      {
        'Nest + Fastify, guard = jose jwtVerify': fresh(joseGuard.url, pools.jose),
        'accounts, a new token every request': fresh(system.accounts.url, pools.accounts),
      },
      settings,
    );
    const all = { ...cached, ...uncached };
    for (const [name, result] of Object.entries(all)) log(`${name}: ${fmt(result.median)}/s p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms`);
    const cachedRatio = cached['accounts, same token (verified-token cache warm)'].median / cached['Nest + Fastify hello (no guard)'].median;
    const uncachedRatio = uncached['accounts, a new token every request'].median / uncached['Nest + Fastify, guard = jose jwtVerify'].median;
    return {
      targets: [
        { target: 'accounts `/me`, cache warm ≥ 0.6 × Nest + Fastify hello', figure: `${cachedRatio.toFixed(2)} ×`, met: cachedRatio >= 0.6 },
        { target: 'accounts `/me`, new token each request ≥ 0.75 × jose-guard fixture', figure: `${uncachedRatio.toFixed(2)} ×`, met: uncachedRatio >= 0.75 },
      ],
      charts: {
        'service.svg': barChart({ title: 'GET /api/accounts/me, one core', unit: 'requests/s', rows: Object.entries(all).map(([label, result]) => ({ label, ...result })) }),
      },
      section: `## 2. A service: \`GET /api/accounts/me\`

accounts as shipped (\`@trustline/security\`'s global guard: passport-jwt strategy, the verified-token
cache, the revocation denylist, scope guard; Fastify, request ids, metrics, validation, helmet) on core
0, next to two bench fixtures on core 0; autocannon on core 1, ${CONNECTIONS} connections. The route
answers the principal as verified (no database), so the figures are the cost of the framework and the
verification. Tokens: alice's access token for accounts, signed in through the real login page; for the
uncached series, tokens with her exact claims, each with its own \`jti\`, signed with the auth server's
active key, never one twice.

![requests per second](benchmarks/service.svg)

${seriesTable(all)}

Ratios: cache warm ${cachedRatio.toFixed(2)} × the hello app (target ≥ 0.6); a new token on every request
${uncachedRatio.toFixed(2)} × the jose-guard app (target ≥ 0.75).

**Profiled** (\`--cpu-prof\` of accounts in the cache-warm series): 34 % of its CPU is \`writev\`, the socket
write of each response (status line, helmet's security headers, the request id, the body); the verification
(token extraction, the verified-token cache, the denylist, attaching the principal) is under 3 %; Nest's
pipeline, helmet, metrics and the per-request child logger together about 15 %; 10 % idle. A cache hit does
not pay for passport or crypto; the gap to the hello app is the HTTP stack every service keeps (security
headers, request ids, metrics, logs). Not changed.
`,
    };
  } finally {
    for (const running of fixtures) await running.stop();
    await system.stop();
  }
}
