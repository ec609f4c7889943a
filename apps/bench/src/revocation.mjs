// Measure 7: revocation → 401 at every hop. Real revocations (RFC 7009 `POST /token/revocation` at the
// auth server) of real tokens, then every hop the token's audience reaches is polled in a tight loop
// until it refuses the token: the gateway (its own check, isolated) and each service directly. Twice:
// with NATS events (the feed pull slowed to a minute, so the event path alone carries it) and without a
// broker (the feed pulled every REVOCATION_POLL_MS).
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { basic, clientToken } from './m2m.mjs';
import { median } from './measure.mjs';
import { NATS_URL, startSystem } from './system.mjs';

const SERVICES = ['accounts', 'loans', 'cards'];
const AUDIENCE = (service) => `urn:trustline:${service}`;
const PROBE_EVERY_MS = 5;
const PULL_MS = 1_000;

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (value) => `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;

const natsReachable = () =>
  new Promise((resolve) => {
    const url = new URL(NATS_URL);
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 4222) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

/**
 * The hops a token reaches, each a probe that answers 'accepted' or 'refused'. The gateway's own check is
 * isolated with a path under the service's prefix that the service does not route: the gateway verifies the
 * token and relays (the service answers 404) or refuses it itself (401); a refusal by the service can
 * never be mistaken for the gateway's. Each service is asked directly on `GET /api/<service>/me`.
 */
function hopsOf(system, service, token) {
  const get = async (url) => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  };
  // Every replica of the service is a hop of its own (measure 8 runs two of accounts).
  const replicas = service === 'accounts' ? system.replicas : [system[service]];
  return [
    { hop: 'gateway', probe: async () => ({ 404: 'accepted', 401: 'refused' })[await get(`${system.gateway.url}/api/${service}/bench-revocation-probe/unrouted`)] },
    ...replicas.map((replica, index) => ({
      hop: index ? `${service} (replica ${index + 1})` : service,
      probe: async () => ({ 200: 'accepted', 401: 'refused' })[await get(`${replica.url}/api/${service}/me`)],
    })),
  ];
}

/** Polls every hop until it refuses; the time (performance.now()) each refusal arrived. */
function refusedAt(hops, timeoutMs) {
  return Promise.all(
    hops.map(async ({ hop, probe }) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const outcome = await probe();
        const now = performance.now();
        if (outcome === 'refused') return { hop, at: now };
        if (outcome !== 'accepted') throw new Error(`${hop} answered neither accepted nor refused while polling`);
        if (now > deadline) throw new Error(`${hop} still accepts the token ${timeoutMs} ms after its revocation`);
        await sleep(PROBE_EVERY_MS);
      }
    }),
  );
}

async function revoke(issuer, token, hint, client) {
  const response = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(client ? { authorization: basic(client.id, client.secret) } : {}) },
    body: new URLSearchParams({ token, token_type_hint: hint, ...(client ? {} : { client_id: 'portal' }) }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`revocation answered ${response.status}`);
}

/** The kinds of revocation measured: what is revoked, by whom, and which hops must then refuse. */
const KINDS = {
  jti: {
    label: 'one access token (jti)',
    async prepare(system, index) {
      const service = SERVICES[index % SERVICES.length];
      const token = await clientToken(system.issuer, 'demo-cli', 'demo-cli-secret', AUDIENCE(service), `${service}:read`);
      return { hops: hopsOf(system, service, token), revoke: () => revoke(system.issuer, token, 'access_token', { id: 'demo-cli', secret: 'demo-cli-secret' }) };
    },
  },
  grant: {
    label: "a user's grant (refresh token)",
    async prepare(system) {
      const alice = await loginUser({
        issuer: system.issuer,
        redirectUri: `${system.gateway.url}/callback`,
        username: 'alice',
        password: 'alice-demo-password',
        resources: SERVICES.map(AUDIENCE),
      });
      return {
        hops: SERVICES.flatMap((service) => hopsOf(system, service, alice.accessTokens[AUDIENCE(service)])),
        revoke: () => revoke(system.issuer, alice.refreshToken, 'refresh_token'),
      };
    },
  },
};

/** `system`: more startSystem options (measure 8 runs this with two accounts replicas on both cores). */
export async function profileRun({ nats, pollMs, system: systemOptions = {} }, count, smoke, log) {
  const system = await startSystem({ ...systemOptions, nats, pollMs });
  try {
    // Warm-up, not measured: one grant revocation through all four verifiers (every connection open,
    // every code path run once).
    const warmup = await KINDS.grant.prepare(system);
    for (const { probe } of warmup.hops) await probe();
    await warmup.revoke();
    await refusedAt(warmup.hops, pollMs + 5_000);
    const samples = [];
    const started = performance.now();
    for (let index = 0; index < count * 2; index += 1) {
      const kind = index % 2 ? 'grant' : 'jti';
      const prepared = await KINDS[kind].prepare(system, index >> 1);
      // Accepted everywhere first (which also warms every hop's verified-token cache: the revocation
      // must get through a cache hit too).
      for (const { hop, probe } of prepared.hops) if ((await probe()) !== 'accepted') throw new Error(`${hop} refused a fresh token`);
      // A random phase against the verifiers' pull timers: back-to-back revocations would otherwise
      // lock onto the same point of the poll cycle.
      await sleep(Math.random() * (smoke || nats ? 100 : pollMs));
      const sent = performance.now();
      await prepared.revoke();
      const returned = performance.now();
      const refusals = await refusedAt(prepared.hops, pollMs + 5_000);
      const last = Math.max(...refusals.map((refusal) => refusal.at));
      samples.push({
        index,
        kind,
        call: returned - sent,
        fromReturn: last - returned,
        fromSent: last - sent,
        // Per hop, its last refusal (the gateway sees a grant's three tokens).
        hops: refusals.reduce((per, refusal) => ({ ...per, [refusal.hop]: Math.max(per[refusal.hop] ?? 0, refusal.at - returned) }), {}),
      });
    }
    log(
      `${nats ? 'NATS' : `pull every ${pollMs} ms`}: ${samples.length} revocations in ${((performance.now() - started) / 1000).toFixed(1)} s, every hop 401 after p50 ${ms(median(samples.map((sample) => sample.fromReturn)))}, p99 ${ms(
        percentile(
          samples.map((sample) => sample.fromReturn),
          99,
        ),
      )} (from the return of the call)`,
    );
    return samples;
  } finally {
    await system.stop();
  }
}

/** A strip chart per series on a log time axis: every revocation a dot, p50 and p99 ticks, the target line. */
function latencyChart(rows) {
  const width = 760;
  const labelWidth = 230;
  const right = 20;
  const rowHeight = 44;
  const height = 70 + rows.length * rowHeight + 30;
  const [lo, hi] = [1, 5_000];
  const x = (value) => labelWidth + ((Math.log10(Math.max(lo, Math.min(hi, value))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (width - labelWidth - right);
  const ticks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000];
  const top = 50;
  const bottom = top + rows.length * rowHeight;
  const grid = ticks
    .map(
      (tick) =>
        `<line x1="${x(tick)}" x2="${x(tick)}" y1="${top}" y2="${bottom}" stroke="#e3e6ee"/><text x="${x(tick)}" y="${bottom + 16}" text-anchor="middle" fill="#56607a">${tick >= 1000 ? `${tick / 1000} s` : `${tick}`}</text>`,
    )
    .join('');
  const body = rows
    .map((row, index) => {
      const y = top + index * rowHeight + rowHeight / 2;
      const dots = row.values.map((value) => `<circle cx="${x(value).toFixed(1)}" cy="${y}" r="3" fill="#2b5fad" fill-opacity="0.35"/>`).join('');
      const p50 = percentile(row.values, 50);
      const p99 = percentile(row.values, 99);
      return [
        `<text x="${labelWidth - 10}" y="${y + 4}" text-anchor="end">${row.label}</text>`,
        `<line x1="${x(row.target)}" x2="${x(row.target)}" y1="${y - 16}" y2="${y + 16}" stroke="#c0392b" stroke-width="2" stroke-dasharray="4 3"/>`,
        dots,
        `<line x1="${x(p50)}" x2="${x(p50)}" y1="${y - 12}" y2="${y + 12}" stroke="#1c2430" stroke-width="3"/>`,
        `<line x1="${x(p99)}" x2="${x(p99)}" y1="${y - 12}" y2="${y + 12}" stroke="#1c2430" stroke-width="1.5"/>`,
        `<text x="${x(p99) + 5}" y="${y - 8}" fill="#1c2430" font-size="11">p50 ${ms(p50)} · p99 ${ms(p99)}</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">
<rect width="${width}" height="${height}" fill="#fff"/>
<text x="10" y="22" font-weight="bold">Revocation → 401 at every hop</text><text x="${width - 10}" y="22" text-anchor="end" fill="#56607a">ms after the revoking call returned (log scale); dots: revocations, thick: p50, thin: p99, red: target</text>
${grid}
${body}
</svg>
`;
}

export async function measure({ settings, layout, log }) {
  const count = settings.smoke ? 2 : 50; // per kind and profile
  const profiles = [];
  if (await natsReachable()) profiles.push({ key: 'nats', name: 'NATS events (feed pull every 60 s)', nats: true, pollMs: 60_000, target: 1_000, targetText: '< 1 s' });
  else log(`no NATS server at ${NATS_URL}: the NATS profile is skipped`);
  profiles.push({
    key: 'pull',
    name: `no broker (feed pulled every ${PULL_MS} ms)`,
    nats: false,
    pollMs: PULL_MS,
    target: PULL_MS + 200,
    targetText: `< REVOCATION_POLL_MS + 200 ms = ${PULL_MS + 200} ms`,
  });
  for (const profile of profiles) profile.samples = await profileRun(profile, count, settings.smoke, log);

  const figures = (values) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values) });
  const rows = profiles.flatMap((profile) =>
    [undefined, 'jti', 'grant'].map((kind) => {
      const samples = profile.samples.filter((sample) => !kind || sample.kind === kind);
      return {
        profile,
        kind,
        samples,
        fromReturn: figures(samples.map((sample) => sample.fromReturn)),
        fromSent: figures(samples.map((sample) => sample.fromSent)),
        call: figures(samples.map((sample) => sample.call)),
      };
    }),
  );
  const hopNames = ['gateway', ...SERVICES];
  const hopRows = profiles.map((profile) => {
    const per = Object.fromEntries(hopNames.map((hop) => [hop, profile.samples.flatMap((sample) => (hop in sample.hops ? [sample.hops[hop]] : []))]));
    return `| ${profile.name} | ${hopNames.map((hop) => (per[hop].length ? `${ms(percentile(per[hop], 50))} / ${ms(percentile(per[hop], 99))}` : '–')).join(' | ')} |`;
  });
  const kindLabel = (kind) => (kind ? KINDS[kind].label : '**all**');

  return {
    targets: profiles.map((profile) => {
      const all = rows.find((row) => row.profile === profile && !row.kind);
      return {
        target: `revoke → 401 at every hop, ${profile.nats ? 'with NATS' : 'without a broker'}: p50 and p99 ${profile.targetText}`,
        figure: `p50 ${ms(all.fromReturn.p50)}, p99 ${ms(all.fromReturn.p99)} (${all.samples.length} revocations)`,
        met: all.fromReturn.p99 < profile.target,
      };
    }),
    charts: {
      'revocation.svg': latencyChart(
        profiles.flatMap((profile) =>
          ['jti', 'grant'].map((kind) => ({
            label: `${profile.nats ? 'NATS' : `pull ${PULL_MS} ms`}, ${kind === 'jti' ? 'access token' : 'grant'}`,
            values: profile.samples.filter((sample) => sample.kind === kind).map((sample) => sample.fromReturn),
            target: profile.target,
          })),
        ),
      ),
    },
    section: `## 7. Revocation

The whole system (auth server, gateway, accounts, loans, cards; SQLite) started once per profile. Layout:
${layout}. Every revocation is real: \`POST /token/revocation\` (RFC 7009) at the auth server, ${count} of each kind
per profile, alternated:

- **one access token (jti)**: a client-credentials token of \`demo-cli\` (audience accounts, loans or cards in turn),
  revoked by \`demo-cli\` with \`token_type_hint=access_token\`; the hops are the gateway and that service;
- **a user's grant**: alice signs in through the login page (authorization code + PKCE, portal client) and gets an
  access token for each of the three audiences by refresh grants; the portal revokes her refresh token
  (\`token_type_hint=refresh_token\`), which revokes the grant: the hops are the gateway (three tokens) and the three services.

Before each revocation every hop accepts the token (so each verifier's verified-token cache holds it), then a random
pause (0–${PULL_MS} ms without a broker, so revocations fall at random points of the verifiers' poll cycles; 0–100 ms with NATS). From the moment the revocation call
returns, every hop is polled every ${PROBE_EVERY_MS} ms until it answers 401; a revocation's figure is the time until the **last** hop
refused. Services are asked directly (\`GET /api/<service>/me\`); the gateway's own check is isolated with a path under the
service's prefix that the service does not route (404 when the gateway relays, 401 only when the gateway itself refuses).
"From sent" adds the revocation call itself. With NATS the verifiers' feed pull is slowed to every 60 s, so the events alone
carry the revocation; without a broker the verifiers pull the feed every ${PULL_MS} ms (\`REVOCATION_POLL_MS\`).

![revocation latency](benchmarks/revocation.svg)

| profile | revoked | n | every hop 401, from return: p50 | p99 | max | from sent: p50 | p99 | the call: p50 | target |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${rows
  .map(
    (row) =>
      `| ${row.profile.name} | ${kindLabel(row.kind)} | ${row.samples.length} | ${ms(row.fromReturn.p50)} | ${ms(row.fromReturn.p99)} | ${ms(row.fromReturn.max)} | ${ms(row.fromSent.p50)} | ${ms(row.fromSent.p99)} | ${ms(row.call.p50)} | ${row.kind ? '' : row.profile.targetText} |`,
  )
  .join('\n')}

Slowest revocation of each profile (n-th of the run, kind, each hop's refusal after the return of the call):
${profiles
  .map((profile) => {
    const slowest = profile.samples.reduce((worst, sample) => (sample.fromReturn > worst.fromReturn ? sample : worst));
    return `- ${profile.name}: #${slowest.index + 1} (${KINDS[slowest.kind].label}): ${Object.entries(slowest.hops)
      .map(([hop, value]) => `${hop} ${ms(value)}`)
      .join(', ')}`;
  })
  .join('\n')}

Per hop (p50 / p99 from the return of the call until that hop refused):

| profile | ${hopNames.join(' | ')} |
| --- | ${hopNames.map(() => '---:').join(' | ')} |
${hopRows.join('\n')}
`,
  };
}
