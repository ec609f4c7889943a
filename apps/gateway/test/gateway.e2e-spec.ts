import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestIssuer } from '@trustline/security/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken, freePort, type RunningProcess, startApp, startAuthServer } from '../../../tools/testing/processes';

const ACCOUNTS = 'urn:trustline:accounts';
const LOANS = 'urn:trustline:loans';
const CARDS = 'urn:trustline:cards';
const PORTAL_ORIGIN = 'http://127.0.0.1:18080';

/**
 * A stand-in for the accounts service that records what reached it: the gateway's headers, and whether
 * anything reached it at all. `/slow` never answers in time, `/reset` drops the connection.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const seen: Seen[] = [];
let fakeAccounts: Server;

function startFakeAccounts(): Promise<string> {
  fakeAccounts = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      if (request.url?.startsWith('/api/accounts/slow')) return; // never answers
      if (request.url?.startsWith('/api/accounts/reset')) return request.socket.destroy();
      response.setHeader('server', 'fake-accounts/1.0');
      response.setHeader('x-powered-by', 'secrets');
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ upstream: 'accounts', url: request.url, bodyLength: body.length }));
    });
  });
  fakeAccounts.keepAliveTimeout = 1000;
  return new Promise((resolve) => fakeAccounts.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(fakeAccounts.address() as AddressInfo).port}`)));
}

let auth: RunningProcess & { issuer: string };
let loans: RunningProcess;
let gateway: RunningProcess;
let accountsRead: string;
let loansRead: string;
let loansWrite: string;
let accountsWriterSecret: string;

beforeAll(async () => {
  auth = await startAuthServer();
  const accountsWriter = auth.run('cli.js', [
    'clients:register',
    JSON.stringify({
      clientId: 'gateway-test-accounts-writer',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      audiences: [ACCOUNTS],
      allowedScopes: ['accounts:write'],
    }),
  ]);
  accountsWriterSecret = String(accountsWriter.client_secret);
  const writer = auth.run('cli.js', [
    'clients:register',
    JSON.stringify({
      clientId: 'gateway-test-writer',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      audiences: [LOANS],
      allowedScopes: ['loans:read', 'loans:write'],
    }),
  ]);
  const [accountsUrl, deadPort] = await Promise.all([startFakeAccounts(), freePort()]);
  loans = await startApp({ name: 'loans', env: { ISSUER_URL: auth.issuer } });
  gateway = await startApp({
    name: 'gateway',
    database: false,
    env: {
      ISSUER_URL: auth.issuer,
      PUBLIC_GATEWAY_URL: PORTAL_ORIGIN,
      ACCOUNTS_URL: accountsUrl,
      LOANS_URL: loans.url,
      // Nothing listens here: the cards service is "down".
      CARDS_URL: `http://127.0.0.1:${deadPort}`,
      UPSTREAM_TIMEOUT_MS: '500',
      CLIENT_ID: 'gateway',
      CLIENT_SECRET: 'gateway-secret',
      REVOCATION_POLL_MS: '200',
    },
  });
  [accountsRead, loansRead, loansWrite] = await Promise.all([
    clientCredentialsToken(auth.issuer, 'demo-cli', ACCOUNTS, 'accounts:read'),
    clientCredentialsToken(auth.issuer, 'demo-cli', LOANS, 'loans:read'),
    clientCredentialsToken(auth.issuer, 'gateway-test-writer', LOANS, 'loans:read loans:write', String(writer.client_secret)),
  ]);
});

afterAll(async () => {
  await gateway?.stop();
  await loans?.stop();
  await auth?.stop();
  await new Promise((resolve) => fakeAccounts?.close(resolve));
});

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${gateway.url}${path}`, { ...init, headers });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** A raw HTTP/1.1 request, for what fetch would normalise or refuse to send (dot segments, chunked bodies). */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string; chunked?: boolean } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${gateway.url}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // The path is sent exactly as given (node does not normalise it).
    request.path = path;
    request.on('error', reject);
    if (options.chunked) {
      request.write(options.body ?? '');
      setTimeout(() => request.end(), 10);
    } else request.end(options.body);
  });
}

describe('health', () => {
  it('answers live and ready without a token once it holds the keys', async () => {
    expect((await call('/health/live')).status).toBe(200);
    expect((await call('/health/ready')).body).toMatchObject({ status: 'ok', info: { signing_keys: { status: 'up' } } });
  });
});

describe('readiness', () => {
  it('is 503 while the issuer keys cannot be loaded (it could not verify anything), without internal details', async () => {
    const nowhere = await freePort();
    const blind = await startApp({ name: 'gateway', database: false, env: { ISSUER_URL: `http://127.0.0.1:${nowhere}` } });
    try {
      expect((await fetch(`${blind.url}/health/live`)).status).toBe(200);
      const ready = await fetch(`${blind.url}/health/ready`);
      expect(ready.status).toBe(503);
      const body = await ready.text();
      expect(JSON.parse(body)).toMatchObject({ status: 'error', error: { signing_keys: { status: 'down' } } });
      expect(body).not.toContain(String(nowhere));
    } finally {
      await blind.stop();
    }
  });
});

describe('the gateway verifies every token before anything is relayed', () => {
  it('refuses a missing token with a bare Bearer challenge and relays nothing', async () => {
    const before = seen.length;
    const answer = await call('/api/accounts/me');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    expect(seen.length).toBe(before);
  });

  it('refuses forged, foreign and wrong-audience tokens with invalid_token and relays nothing', async () => {
    const impostor = await new TestIssuer().start();
    try {
      const forged = [
        impostor.mint(ACCOUNTS, { claims: { iss: auth.issuer, scope: 'accounts:read' } }),
        impostor.mint(ACCOUNTS, { claims: { scope: 'accounts:read' } }),
        impostor.mintUnsigned(ACCOUNTS, { iss: auth.issuer, scope: 'accounts:read' }),
        impostor.mintHmacWithPublicKey(ACCOUNTS),
        `${accountsRead.slice(0, -4)}AAAA`,
        'not.a.jwt',
      ];
      const before = seen.length;
      for (const token of forged) {
        const answer = await call('/api/accounts/me', { token });
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
        expect(answer.body).toEqual({ error: 'invalid_token' });
      }
      expect(seen.length).toBe(before);
    } finally {
      await impostor.stop();
    }
  });

  it('refuses a token on a route whose service is not its audience (a loans token on /api/accounts)', async () => {
    const before = seen.length;
    const answer = await call('/api/accounts/me', { token: loansRead });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(seen.length).toBe(before);
    expect((await call('/api/loans/me', { token: accountsRead })).status).toBe(401);
  });

  it('needs the write scope for anything but reads (403 insufficient_scope)', async () => {
    const answer = await call('/api/loans', {
      method: 'POST',
      token: loansRead,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'c-1', amount: 100, currency: 'EUR' }),
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="loans:write"');
  });

  it('never logs a token or an Authorization header', () => {
    expect(gateway.output()).not.toContain(accountsRead);
    expect(gateway.output()).not.toContain(loansWrite);
    expect(gateway.output().toLowerCase()).not.toContain('bearer ey');
  });
});

describe('relaying', () => {
  it('relays the token, a request id and a W3C traceparent continuing the caller trace; replaces forwarding headers', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const answer = await call('/api/accounts/me?x=1', {
      token: accountsRead,
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'caller-req-1', 'x-forwarded-for': '6.6.6.6', cookie: 'session=stolen' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ upstream: 'accounts', url: '/api/accounts/me?x=1' });
    const upstream = seen.at(-1)!;
    expect(upstream.headers.authorization).toBe(`Bearer ${accountsRead}`);
    expect(upstream.headers['x-request-id']).toBe('caller-req-1');
    expect(upstream.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(upstream.headers.traceparent).not.toContain('00f067aa0ba902b7');
    expect(upstream.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(upstream.headers.cookie).toBeUndefined();
    expect(answer.headers.get('x-request-id')).toBe('caller-req-1');
    expect(answer.headers.get('server')).toBeNull();
    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('drops hop-by-hop headers, including those the caller names in Connection', async () => {
    const answer = await raw('/api/accounts/me', {
      headers: {
        authorization: `Bearer ${accountsRead}`,
        connection: 'keep-alive, x-hop-secret',
        'x-hop-secret': 'for the gateway only',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic c2VjcmV0',
      },
    });
    expect(answer.status).toBe(200);
    const upstream = seen.at(-1)!;
    for (const name of ['x-hop-secret', 'keep-alive', 'te', 'proxy-authorization']) expect(upstream.headers[name], name).toBeUndefined();
    expect(upstream.headers.authorization).toBe(`Bearer ${accountsRead}`);
  });

  it('starts a trace and a request id when the caller sends none', async () => {
    await call('/api/accounts', { token: accountsRead });
    const upstream = seen.at(-1)!;
    expect(upstream.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(upstream.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('works end to end with a real service that verifies the token again', async () => {
    const me = await call('/api/loans/me', { token: loansRead });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'client', clientId: 'demo-cli', audience: LOANS });
    const created = await call('/api/loans', {
      method: 'POST',
      token: loansWrite,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'customer-gw', amount: 25_000, currency: 'EUR' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customerId: 'customer-gw', amount: 25_000, outstanding: 25_000 });
    expect(created.headers.get('location')).toBe(`/api/loans/${String(created.body?.id)}`);
    const invalid = await call('/api/loans', { method: 'POST', token: loansWrite, headers: { 'content-type': 'application/json' }, body: '{"amount": -1' });
    expect(invalid.status).toBe(400);
  });

  it('streams request bodies to the service as they came (not parsed, not re-serialised), within the size limit', async () => {
    const accountsWrite = await clientCredentialsToken(auth.issuer, 'gateway-test-accounts-writer', ACCOUNTS, 'accounts:write', accountsWriterSecret);
    // Not even JSON, and with odd spacing: the gateway does not care, the service validates.
    const body = `{ "blob" :  "${'x'.repeat(30_000)}" ,`;
    const answer = await call('/api/accounts/echo', { method: 'POST', token: accountsWrite, headers: { 'content-type': 'application/json' }, body });
    expect(answer.status).toBe(200);
    expect(seen.at(-1)!.body).toBe(body);
    const text = await call('/api/accounts/echo', { method: 'PUT', token: accountsWrite, headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2' });
    expect(text.status).toBe(200);
    expect(seen.at(-1)!.body).toBe('a,b\n1,2');
  });
});

describe('paths and bodies the gateway refuses', () => {
  it('refuses paths that could escape their prefix once normalised, and relays nothing', async () => {
    const before = seen.length;
    for (const path of ['/api/accounts/../../metrics', '/api/accounts/%2e%2e/%2e%2e/metrics', '/api/accounts/..%2f..%2fmetrics', '/api/accounts//metrics']) {
      const answer = await raw(path, { headers: { authorization: `Bearer ${accountsRead}` } });
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
    }
    expect(seen.length).toBe(before);
  });

  it('answers unknown routes and /metrics with 404 JSON', async () => {
    for (const path of ['/metrics', '/api/unknown', '/api', '/api/accountsX']) {
      const answer = await call(path, { token: accountsRead });
      expect(answer.status, path).toBe(404);
    }
  });

  it('refuses an oversized declared body (413) and a body of unknown length (411) without relaying', async () => {
    const before = seen.length;
    const large = await raw('/api/accounts', {
      method: 'POST',
      headers: { authorization: `Bearer ${accountsRead}`, 'content-type': 'application/json', 'content-length': String(70 * 1024) },
      body: 'x'.repeat(70 * 1024),
    });
    expect(large.status).toBe(413);
    const chunked = await raw('/api/accounts', {
      method: 'POST',
      headers: { authorization: `Bearer ${accountsRead}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: '{}',
      chunked: true,
    });
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: 'length_required' });
    expect(JSON.parse(large.body)).toMatchObject({ error: 'payload_too_large' });
    expect(seen.length).toBe(before);
  });
});

describe('downstream failures are fast JSON errors, never hangs', () => {
  it('answers 503 upstream_unavailable when the service is down', async () => {
    const token = await clientCredentialsToken(auth.issuer, 'demo-cli', CARDS, 'cards:read');
    const answer = await call('/api/cards/me', { token });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'upstream_unavailable', message: 'cards is unavailable' });
    expect(answer.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('answers 504 upstream_timeout when the service is too slow', async () => {
    const answer = await call('/api/accounts/slow', { token: accountsRead });
    expect(answer.status).toBe(504);
    expect(answer.body).toEqual({ error: 'upstream_timeout', message: 'accounts did not answer in time' });
  });

  it('answers 502 bad_gateway when the service drops the connection', async () => {
    const answer = await call('/api/accounts/reset', { token: accountsRead });
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({ error: 'bad_gateway', message: 'accounts failed to answer' });
    // Still serving afterwards.
    expect((await call('/api/accounts/me', { token: accountsRead })).status).toBe(200);
  });
});

describe('CORS', () => {
  it('lets the portal origin preflight with the Authorization header, and no other origin', async () => {
    const preflight = { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } };
    const allowed = await fetch(`${gateway.url}/api/accounts`, { ...preflight, headers: { ...preflight.headers, origin: PORTAL_ORIGIN } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const foreign = await fetch(`${gateway.url}/api/accounts`, { ...preflight, headers: { ...preflight.headers, origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('revocation', () => {
  it('stops relaying a token within moments of its revocation at the auth server', async () => {
    const token = await clientCredentialsToken(auth.issuer, 'demo-cli', ACCOUNTS, 'accounts:read');
    expect((await call('/api/accounts/me', { token })).status).toBe(200);
    const revoked = await fetch(`${auth.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('demo-cli:demo-cli-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    expect(revoked.status).toBe(200);
    let status = 200;
    for (let attempt = 0; attempt < 50 && status === 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call('/api/accounts/me', { token })).status;
    }
    expect(status).toBe(401);
  });
});

describe('rate limits', () => {
  let limited: RunningProcess;

  beforeAll(async () => {
    limited = await startApp({
      name: 'gateway',
      database: false,
      env: {
        ISSUER_URL: auth.issuer,
        ACCOUNTS_URL: `http://127.0.0.1:${(fakeAccounts.address() as AddressInfo).port}`,
        LOANS_URL: loans.url,
        RATE_LIMIT_PER_CALLER: '3',
        RATE_LIMIT_PER_IP: '10',
      },
    });
  });
  afterAll(async () => limited?.stop());

  const through = (token: string) => fetch(`${limited.url}/api/accounts/me`, { headers: { authorization: `Bearer ${token}` } });

  it('limits each verified caller on its own, then each address whatever the tokens', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await through(accountsRead)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The budget is the caller's across every route: demo-cli is out on loans too...
    const sameCaller = await clientCredentialsToken(auth.issuer, 'demo-cli', LOANS, 'loans:read');
    expect((await fetch(`${limited.url}/api/loans/me`, { headers: { authorization: `Bearer ${sameCaller}` } })).status).toBe(429);
    // ...while another caller from the same address still has its own budget.
    expect(await through(loansWrite.replace(/.$/, '')).then((r) => r.status)).toBe(401);
    const other = await clientCredentialsToken(auth.issuer, 'accounts-service', LOANS, 'loans:read');
    expect((await fetch(`${limited.url}/api/loans/me`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    // ...until the address's own limit (10 a minute) is spent, junk tokens included.
    const rest = [];
    for (let i = 0; i < 4; i += 1) rest.push((await fetch(`${limited.url}/api/loans/me`, { headers: { authorization: 'Bearer junk' } })).status);
    expect(rest.at(-1)).toBe(429);
    const refused = await fetch(`${limited.url}/api/loans/me`, { headers: { authorization: `Bearer ${other}` } });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
    // Health checks are never rate limited (an orchestrator must always reach them).
    expect((await fetch(`${limited.url}/health/live`)).status).toBe(200);
  });
});

describe('rate limits behind a proxy (TRUST_PROXY_HOPS)', () => {
  const junk = (gatewayUrl: string, forwardedFor: string) =>
    fetch(`${gatewayUrl}/api/loans/me`, { headers: { authorization: 'Bearer junk', 'x-forwarded-for': forwardedFor } }).then((response) => response.status);
  const startLimited = (hops: string) =>
    startApp({ name: 'gateway', database: false, env: { ISSUER_URL: auth.issuer, LOANS_URL: loans.url, RATE_LIMIT_PER_IP: '3', TRUST_PROXY_HOPS: hops } });

  it('counts the address the trusted proxy saw, never the forged leftmost X-Forwarded-For', async () => {
    const behindOne = await startLimited('1');
    try {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push(await junk(behindOne.url, `203.0.113.${i}, 192.0.2.50`));
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Another address behind the same proxy has its own budget.
      expect(await junk(behindOne.url, '203.0.113.9, 192.0.2.51')).toBe(401);
    } finally {
      await behindOne.stop();
    }
  });

  it('ignores X-Forwarded-For with no trusted proxy', async () => {
    const direct = await startLimited('0');
    try {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push(await junk(direct.url, `192.0.2.${60 + i}`));
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await direct.stop();
    }
  });
});

describe('the demo portal (static files at /)', () => {
  it('serves its page with a strict CSP that lets it talk to the gateway and the auth server only', async () => {
    const page = await fetch(`${gateway.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${new URL(auth.issuer).origin}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<script type="module" src="/portal.js">');
  });

  it('answers its configuration, its redirect URI page and its OAuth library without a token', async () => {
    expect(await (await fetch(`${gateway.url}/portal/config.json`)).json()).toEqual({ issuer: auth.issuer, clientId: 'portal' });
    const callback = await fetch(`${gateway.url}/callback?code=abc&state=xyz`);
    expect(callback.status).toBe(200);
    expect(callback.headers.get('referrer-policy')).toBe('no-referrer');
    expect(callback.headers.get('content-security-policy')).toContain("script-src 'self'");
    const library = await fetch(`${gateway.url}/vendor/oauth4webapi.js`);
    expect(library.status).toBe(200);
    expect(library.headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('rate limits with Redis', () => {
  const throughLimited = (url: string, token: string) => fetch(`${url}/api/accounts/me`, { headers: { authorization: `Bearer ${token}` } });
  const limitedEnv = () => ({
    ISSUER_URL: auth.issuer,
    ACCOUNTS_URL: `http://127.0.0.1:${(fakeAccounts.address() as AddressInfo).port}`,
    RATE_LIMIT_PER_CALLER: '3',
    RATE_LIMIT_PER_IP: '1000',
  });

  it('fail open when Redis does not answer: counters are not worth an outage, and no check depends on them', async () => {
    const deadRedis = await freePort();
    const replica = await startApp({ name: 'gateway', database: false, env: { ...limitedEnv(), REDIS_URL: `redis://127.0.0.1:${deadRedis}` } });
    try {
      for (let i = 0; i < 5; i += 1) expect((await throughLimited(replica.url, accountsRead)).status).toBe(200);
      // Verification still applies in full.
      expect((await fetch(`${replica.url}/api/accounts/me`)).status).toBe(401);
    } finally {
      await replica.stop();
    }
  });

  // Needs a Redis server: the infra profile (npm run test:infra) provides this machine's.
  it.runIf(process.env.TEST_REDIS_URL)('share one budget per caller between two gateway replicas', async () => {
    const env = { ...limitedEnv(), REDIS_URL: String(process.env.TEST_REDIS_URL), REDIS_KEY_PREFIX: `trustline-test-${Date.now()}-${Math.random().toString(36).slice(2)}:` };
    const [a, b] = await Promise.all([startApp({ name: 'gateway', database: false, env }), startApp({ name: 'gateway', database: false, env })]);
    try {
      const token = await clientCredentialsToken(auth.issuer, 'demo-cli', ACCOUNTS, 'accounts:read');
      const statuses = [await throughLimited(a.url, token), await throughLimited(b.url, token), await throughLimited(a.url, token), await throughLimited(b.url, token)].map(
        (response) => response.status,
      );
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('the aggregated API description', () => {
  // The first request for the document in this file: the cache is cold.
  it('costs one internal fetch per service for 50 concurrent anonymous requests while services fail, and none for the next 50', async () => {
    const fetches = () => seen.filter((entry) => entry.url === '/docs/openapi.json').length;
    const ask = () => Promise.all(Array.from({ length: 50 }, async () => (await fetch(`${gateway.url}/docs/openapi.json`)).json() as Promise<Record<string, unknown>>));
    const first = await ask();
    // The fake accounts serves no document and cards is down: each marked, in every answer.
    expect(first.map((document) => document['x-unavailable'])).toEqual(Array.from({ length: 50 }, () => ['accounts', 'cards']));
    expect(fetches()).toBe(1);
    await ask();
    expect(fetches()).toBe(1);
  });

  it("merges the services' OpenAPI documents, with the gateway as server and each route's audience", async () => {
    const answer = await fetch(`${gateway.url}/docs/openapi.json`);
    expect(answer.status).toBe(200);
    const document = (await answer.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, { 'x-trustline-audience'?: string }>>;
      components: { securitySchemes: Record<string, unknown> };
      'x-unavailable'?: string[];
    };
    expect(document.openapi).toBe('3.0.0');
    expect(document.servers).toEqual([{ url: PORTAL_ORIGIN }]);
    expect(document.paths['/api/loans/{id}'].get['x-trustline-audience']).toBe(LOANS);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The fake accounts serves no document and cards is down: listed, not fatal.
    expect(document['x-unavailable']).toEqual(['accounts', 'cards']);
    expect(Object.keys(document.paths).every((path) => path.startsWith('/api/loans'))).toBe(true);
  });
});
