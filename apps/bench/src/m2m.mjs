// Measure 5: machine-to-machine. `GET /api/accounts/customers/:customerId/details` makes accounts call
// loans over HTTP and cards over TCP RPC, each with accounts' own client-credentials token: its rate
// with the token cache warm (beside the same service's plain list, which makes no downstream call), the
// token requests per 1,000 calls after warm-up counted where they are issued (the auth server's
// `trustline_tokens_issued_total`) and where they are asked for (accounts' `trustline_m2m_token_requests_total`),
// and the cold cache: 100 concurrent callers make one token request per (audience, scopes), both through
// libs/security's ClientCredentialsTokenClient alone and through a freshly started accounts service.
import { ClientCredentialsTokenClient } from '@trustline/security';
import { setTimeout as sleep } from 'node:timers/promises';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { barChart } from './chart.mjs';
import { alternateLoad, load } from './load.mjs';
import { fmt } from './measure.mjs';
import { freePort, startSystem } from './system.mjs';

const CONCURRENT = 100;
const msOf = (value) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '–');
const PAIRS = [
  { audience: 'urn:trustline:loans', scopes: ['loans:read'] },
  { audience: 'urn:trustline:cards', scopes: ['cards:read'] },
];

/** Prometheus text → the sum of a counter's samples whose labels contain `labels`. */
export async function counter(metricsPort, name, labels = {}) {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => seen[key] === value)) sum += Number(match[4]);
  }
  return sum;
}

export const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function clientToken(issuer, clientId, secret, resource, scope) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`client_credentials for ${clientId} refused: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function call(base, method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const issuedAtAuth = (system) => counter(system.auth.metricsPort, 'trustline_tokens_issued_total', { grant_type: 'client_credentials' });
const issuedByAccounts = (accounts) => counter(accounts.metricsPort, 'trustline_m2m_token_requests_total', { outcome: 'issued' });

/** Waits until accounts has asked for every token it asks for on its own (its revocation-feed token) and is quiet. */
async function settled(system, accounts) {
  let last = -1;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const now = `${await issuedAtAuth(system)}/${await issuedByAccounts(accounts)}`;
    if (now === last) return;
    last = now;
    await sleep(700);
  }
}

/** libs/security's token client alone, cold, against the real auth server: token requests it caused. */
async function coldClient(system, pairs) {
  const observed = { issued: 0, cache_hit: 0, error: 0 };
  const client = new ClientCredentialsTokenClient({
    issuer: system.issuer,
    clientId: 'accounts-service',
    clientSecret: 'accounts-service-secret',
    onTokenRequest: (outcome) => (observed[outcome] += 1),
  });
  const before = await issuedAtAuth(system);
  const started = performance.now();
  // 100 callers per pair, all started before any answer comes back, interleaved across the pairs.
  const tokens = await Promise.all(
    Array.from({ length: CONCURRENT * pairs.length }, (_, index) => client.getToken(pairs[index % pairs.length].audience, pairs[index % pairs.length].scopes)),
  );
  const ms = performance.now() - started;
  const atAuth = (await issuedAtAuth(system)) - before;
  return { pairs: pairs.length, callers: tokens.length, atAuth, atCaller: observed.issued, distinctTokens: new Set(tokens).size, ms };
}

/** A freshly started accounts (cold M2M cache): 100 concurrent customer-details calls, token requests it caused. */
async function coldService(system, accounts, path, token) {
  await settled(system, accounts);
  const before = { auth: await issuedAtAuth(system), accounts: await issuedByAccounts(accounts) };
  const started = performance.now();
  const responses = await Promise.all(
    Array.from({ length: CONCURRENT }, () =>
      fetch(`${accounts.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(async (response) => (await response.arrayBuffer(), response.status)),
    ),
  );
  const ms = performance.now() - started;
  const failed = responses.filter((status) => status !== 200).length;
  if (failed) throw new Error(`cold customer-details: ${failed} of ${CONCURRENT} calls failed (${[...new Set(responses)].join(', ')})`);
  return { callers: CONCURRENT, atAuth: (await issuedAtAuth(system)) - before.auth, atCaller: (await issuedByAccounts(accounts)) - before.accounts, ms };
}

export async function measure({ settings, layout, log }) {
  const trials = settings.smoke ? 1 : 5;
  // Embedded defaults (SQLite, no broker: cards answers over TCP RPC), the four apps the call touches.
  const booting = performance.now();
  const system = await startSystem({ only: ['accounts'] });
  log(`auth server, loans, cards, accounts ready in ${Math.round(performance.now() - booting)} ms`);
  try {
    // A customer with one account, one loan and one card, created by the user herself.
    const alice = await loginUser({
      issuer: system.issuer,
      redirectUri: `${system.auth.env.PUBLIC_GATEWAY_URL}/callback`,
      username: 'alice',
      password: 'alice-demo-password',
      resources: ['urn:trustline:accounts', 'urn:trustline:loans', 'urn:trustline:cards'],
    }).catch(() => undefined);
    const customer = alice?.subject ?? 'bench-customer';
    if (alice) {
      const created = [
        await call(system.accounts.url, 'POST', '/api/accounts', alice.accessTokens['urn:trustline:accounts'], { name: 'Everyday', currency: 'EUR', balance: 12_500 }),
        await call(system.loans.url, 'POST', '/api/loans', alice.accessTokens['urn:trustline:loans'], { amount: 500_000, currency: 'EUR' }),
        await call(system.cards.url, 'POST', '/api/cards', alice.accessTokens['urn:trustline:cards'], { limit: 200_000, currency: 'EUR' }),
      ];
      if (created.some((response) => response.status !== 201)) throw new Error(`seeding the customer failed: ${created.map((response) => response.status).join(', ')}`);
    }
    // The caller: a machine client (clients may name any customer) with the read scopes of all the details hold.
    const callerToken = await clientToken(system.issuer, 'demo-cli', 'demo-cli-secret', 'urn:trustline:accounts', 'accounts:read loans:read cards:read');
    const detailsPath = `/api/accounts/customers/${encodeURIComponent(customer)}/details`;

    // Cold cache, through the service: accounts has never called loans or cards yet.
    const serviceCold = [await coldService(system, system.accounts, detailsPath, callerToken)];
    const sample = await call(system.accounts.url, 'GET', detailsPath, callerToken);
    if (sample.status !== 200) throw new Error(`customer details answered ${sample.status}: ${JSON.stringify(sample.body)}`);
    const shape = Object.fromEntries(
      Object.entries(sample.body)
        .filter(([, value]) => Array.isArray(value))
        .map(([key, value]) => [key, value.length]),
    );
    log(`customer details: ${JSON.stringify(shape)}; cold service: ${serviceCold[0].atAuth} token request(s) at the auth server for ${CONCURRENT} concurrent calls`);

    // Warm: customer details vs the same service's list (no downstream call), alternated.
    const series = {
      'customer details (accounts → loans HTTP + cards TCP RPC)': () => ({ url: `${system.accounts.url}${detailsPath}`, headers: { authorization: `Bearer ${callerToken}` } }),
      'accounts list alone (no downstream call)': () => ({
        url: `${system.accounts.url}/api/accounts?customerId=${encodeURIComponent(customer)}`,
        headers: { authorization: `Bearer ${callerToken}` },
      }),
    };
    const detailsName = Object.keys(series)[0];
    // Warm-up first, then the counters are read around the measured rounds only.
    for (const options of Object.values(series)) await load({ ...options(), durationMs: settings.warmupMs });
    const before = {
      auth: await issuedAtAuth(system),
      accounts: await issuedByAccounts(system.accounts),
      hits: await counter(system.accounts.metricsPort, 'trustline_m2m_token_requests_total', { outcome: 'cache_hit' }),
    };
    const warm = await alternateLoad(series, { ...settings, warmupMs: 0 }); // warmed up above
    const after = {
      auth: await issuedAtAuth(system),
      accounts: await issuedByAccounts(system.accounts),
      hits: await counter(system.accounts.metricsPort, 'trustline_m2m_token_requests_total', { outcome: 'cache_hit' }),
    };
    const detailsCalls = warm[detailsName].runs.reduce((sum, run) => sum + run.ok, 0);
    const perThousand = { auth: ((after.auth - before.auth) * 1000) / detailsCalls, accounts: ((after.accounts - before.accounts) * 1000) / detailsCalls };
    const hitsPerCall = (after.hits - before.hits) / detailsCalls;
    for (const [name, result] of Object.entries(warm))
      log(`${name}: ${fmt(result.median)}/s (${fmt(result.min)}–${fmt(result.max)}), p50 ${msOf(result.p50)}, p99 ${msOf(result.p99)}`);
    log(`${fmt(detailsCalls)} customer-details calls: ${after.auth - before.auth} token(s) issued at the auth server, ${after.accounts - before.accounts} asked for by accounts`);

    // Cold cache, the library alone: one pair, then two pairs at once; a new client (cold) per trial.
    const clientOne = [];
    const clientTwo = [];
    for (let trial = 0; trial < trials; trial += 1) {
      clientOne.push(await coldClient(system, PAIRS.slice(0, 1)));
      clientTwo.push(await coldClient(system, PAIRS));
    }
    // Cold cache through a restarted accounts, more trials.
    let accounts = system.accounts;
    for (let trial = 1; trial < trials; trial += 1) {
      await accounts.stop();
      accounts = await system.start('accounts', { ...accounts.env, PORT: String(await freePort()) });
      serviceCold.push(await coldService(system, accounts, detailsPath, callerToken));
    }
    const all = (rows, expected) => rows.every((row) => row.atAuth === expected && (row.atCaller ?? expected) === expected);
    const oneOk = all(clientOne, 1);
    const twoOk = all(clientTwo, 2);
    const serviceOk = all(serviceCold, 2);
    log(
      `cold client, one pair: ${clientOne.map((row) => row.atAuth).join(', ')}; two pairs: ${clientTwo.map((row) => row.atAuth).join(', ')}; cold service: ${serviceCold.map((row) => row.atAuth).join(', ')}`,
    );

    const details = warm[detailsName];
    const list = warm['accounts list alone (no downstream call)'];
    const coldRow = (label, rows, expected) =>
      `| ${label} | ${rows[0].callers} | ${expected} | ${rows.map((row) => row.atAuth).join(', ')} | ${rows.map((row) => row.atCaller).join(', ')} | ${rows.map((row) => Math.round(row.ms)).join(', ')} |`;
    return {
      targets: [
        { target: 'M2M: customer-details calls/s, token cache warm (reported, no threshold)', figure: `${fmt(details.median)}/s`, met: true },
        {
          target: 'M2M: token requests per 1,000 calls after warm-up = 0',
          figure: `${perThousand.auth.toFixed(2)} (auth server), ${perThousand.accounts.toFixed(2)} (accounts)`,
          met: after.auth === before.auth && after.accounts === before.accounts,
        },
        {
          target: `M2M: ${CONCURRENT} concurrent callers on a cold cache → exactly 1 token request per (audience, scopes)`,
          figure: `1 pair: ${[...new Set(clientOne.map((row) => row.atAuth))].join('/')}; 2 pairs: ${[...new Set(clientTwo.map((row) => row.atAuth))].join('/')}; cold accounts (2 pairs): ${[...new Set(serviceCold.map((row) => row.atAuth))].join('/')}`,
          met: oneOk && twoOk && serviceOk,
        },
      ],
      charts: {
        'm2m.svg': barChart({
          title: 'accounts on one core: customer details (2 M2M calls) vs its plain list',
          unit: 'requests/s',
          rows: Object.entries(warm).map(([label, result]) => ({ label: label.split(' (')[0], ...result })),
        }),
      },
      section: `## 5. Machine-to-machine

\`GET /api/accounts/customers/:customerId/details\` on accounts directly: accounts verifies the caller's token,
reads the customer's accounts, then calls loans over HTTP (\`m2mFetch\`) and cards over TCP RPC (\`m2mSend\`,
\`cards.by-customer\`), each with its own client-credentials token (\`accounts-service\`; \`loans:read\` on
\`urn:trustline:loans\`, \`cards:read\` on \`urn:trustline:cards\`), which loans and cards verify in turn.
Embedded defaults (SQLite, no broker). The caller is the machine client \`demo-cli\` (\`accounts:read\`); the
customer (alice) has ${Object.entries(shape)
        .map(([key, count]) => `${key}: ${count}`)
        .join(', ')}. Layout: ${layout}; the auth server, accounts, loans and cards all on core 0, so a
details call pays for three verifications and three handlers on the same core. ${settings.rounds} rounds of ${settings.sliceMs} ms,
50 connections, alternated with the same service's list route (one verification, one query, no downstream call).

![customer details vs list](benchmarks/m2m.svg)

| series | requests/s (median) | min–max | p50 | p99 |
| --- | ---: | ---: | ---: | ---: |
${Object.entries(warm)
  .map(([name, result]) => `| ${name} | ${fmt(result.median)} | ${fmt(result.min)}–${fmt(result.max)} | ${msOf(result.p50)} | ${msOf(result.p99)} |`)
  .join('\n')}

${list.median > 0 && details.median > 0 ? `A customer-details call costs ${(list.median / details.median).toFixed(1)} × a list call on this core (three services' work and two M2M hops instead of one service's).` : ''}

**Token requests after warm-up.** Over the ${fmt(detailsCalls)} customer-details calls of the measured rounds (after a
${settings.warmupMs} ms warm-up; the list rounds in between make none), the auth server issued
**${after.auth - before.auth}** client-credentials tokens (\`trustline_tokens_issued_total{grant_type="client_credentials"}\` on its metrics
port) and accounts asked for **${after.accounts - before.accounts}** (\`trustline_m2m_token_requests_total{outcome="issued"}\` on its own):
${perThousand.auth.toFixed(2)} per 1,000 calls. Accounts served ${hitsPerCall.toFixed(2)} token lookups per details call from its cache
(\`outcome="cache_hit"\`: one for loans and one for cards per call, plus one per pull of its revocation feed, every second). Tokens live ${'`ACCESS_TOKEN_TTL`'} (300 s) and are renewed 30 s before
expiry, so a longer run would see one request per (audience, scopes) every 270 s, never per call.

**Cold cache, ${CONCURRENT} concurrent callers.** Token requests counted at the auth server (the counter above, read
before and after) and at the caller. "Client alone": a new \`ClientCredentialsTokenClient\` from \`@trustline/security\`
(credentials of \`accounts-service\`) in the bench process against the real auth server, ${CONCURRENT} \`getToken\` calls
per (audience, scopes) started together (for two pairs, 200 calls interleaved). "Cold accounts": a freshly started accounts
(it has fetched only its revocation-feed token), ${CONCURRENT} concurrent customer-details calls, each needing a loans and a
cards token. ${trials} trial(s) each, every trial with a cold cache.

| case | concurrent callers | expected | token requests at the auth server (per trial) | at the caller | ms until all answered |
| --- | ---: | ---: | --- | --- | --- |
${coldRow('client alone, one (audience, scopes)', clientOne, 1)}
${coldRow('client alone, two (audience, scopes) at once', clientTwo, 2)}
${coldRow('cold accounts, customer details (loans + cards)', serviceCold, 2)}

Every trial of the client alone returned ${clientOne.every((row) => row.distinctTokens === 1) && clientTwo.every((row) => row.distinctTokens === 2) ? 'one token per pair to all its callers' : '**more than one token per pair**'}.
`,
    };
  } finally {
    await system.stop();
  }
}
