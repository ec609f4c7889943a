import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAccessToken, auditEvents, basicAuth, type RunningAuthServer, startAuthServer } from './support/auth-server-process';
import { portalAuthorizeUrl } from './support/browser';

/**
 * Abuse limits as an attacker who has read the code would meet them: failed client authentication and
 * failed logins are counted per source address (derived from TRUST_PROXY_HOPS trusted proxies, never from
 * a header the caller controls), consumed before anything is evaluated, so concurrent guesses cannot slip
 * past the limit, and never so that someone elsewhere can lock the real client or user out. Anonymous
 * authorization requests (each creates an interaction row) are limited per address too.
 *
 * Requests come from several loopback addresses (127.0.0.x) so that "another address" is real.
 */
const REDIRECT_URI = 'http://127.0.0.1:18080/callback';
const LIMITS = {
  CLIENT_AUTH_MAX_FAILURES_PER_CLIENT_AND_IP: '5',
  LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '3',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
  LOGIN_ACCOUNT_SLOWDOWN_SECONDS: '2',
  AUTHORIZATION_MAX_PER_IP: '8',
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP request from a chosen local address (node:http: fetch cannot pick its source address). */
function send(url: string | URL, options: { from?: string; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? (body ? 'POST' : 'GET'),
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
        headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CC_PARAMS = { grant_type: 'client_credentials', resource: 'urn:trustline:auth', scope: 'revocations:read' };
let spoofed = 0;
/** A different forged X-Forwarded-For on every call, as an attacker would send. */
const forged = () => `203.0.113.${(spoofed += 1) % 250}, 198.51.100.${spoofed % 250}`;

/** A token request authenticating as `clientId`, by one of the methods an attacker might pick. */
function clientAuthAttempt(server: RunningAuthServer, clientId: string, secret: string, method: 'basic' | 'post' | 'assertion', options: { from?: string; xff?: string } = {}) {
  const headers: Record<string, string> = { ...FORM, ...(options.xff ? { 'x-forwarded-for': options.xff } : {}) };
  const params: Record<string, string> = { ...CC_PARAMS };
  if (method === 'basic') headers.authorization = basicAuth(clientId, secret);
  if (method === 'post') Object.assign(params, { client_id: clientId, client_secret: secret });
  if (method === 'assertion') {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const assertion = `${encode({ alg: 'ES256' })}.${encode({ iss: clientId, sub: clientId, aud: server.issuer, jti: `j${now}${spoofed}`, iat: now, exp: now + 60 })}.${Buffer.alloc(64).toString('base64url')}`;
    Object.assign(params, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
  }
  return send(`${server.issuer}/token`, { from: options.from, headers, body: new URLSearchParams(params).toString() });
}

interface AuditRow {
  type: string;
  reason?: string;
  clientId?: string;
  ip?: string;
  details?: Record<string, unknown>;
}

const auditOf = (server: RunningAuthServer, token: string, query: Record<string, string> = {}) => auditEvents<AuditRow>(server.issuer, token, query);

/** A login page for the portal opened from `from` (with `xff`): its form and the interaction cookies. */
async function openLogin(server: RunningAuthServer, options: { from?: string; xff?: string } = {}) {
  const headers = (cookies: Map<string, string>): Record<string, string> => ({
    ...(options.xff ? { 'x-forwarded-for': options.xff } : {}),
    ...(cookies.size ? { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {}),
  });
  const cookies = new Map<string, string>();
  const keep = (answer: Answer) => {
    const set = answer.headers['set-cookie'];
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = line.split(';');
      const equals = pair.indexOf('=');
      cookies.set(pair.slice(0, equals).trim(), pair.slice(equals + 1));
    }
    return answer;
  };
  const authorize = portalAuthorizeUrl(server.issuer, REDIRECT_URI);
  const started = keep(await send(authorize, { from: options.from, headers: headers(cookies) }));
  expect(started.status).toBe(303);
  const shown = keep(await send(new URL(String(started.headers.location), server.issuer), { from: options.from, headers: headers(cookies) }));
  expect(shown.status).toBe(200);
  const action = /action="([^"]*\/login)"/.exec(shown.text)?.[1];
  const csrf = /name="csrf" value="([^"]*)"/.exec(shown.text)?.[1];
  if (!action || !csrf) throw new Error('no login form');
  /** Posts the login form (any number of times, concurrently if wanted). */
  return (username: string, password: string, override: { xff?: string } = {}) =>
    send(new URL(action, server.issuer), {
      from: options.from,
      headers: { ...FORM, ...headers(cookies), ...(override.xff ? { 'x-forwarded-for': override.xff } : {}) },
      body: new URLSearchParams({ csrf, username, password }).toString(),
    });
}

const tooManyClientAuth = (answer: Answer) => {
  expect(answer.status).toBe(429);
  expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  expect(answer.headers['cache-control']).toBe('no-store');
  // RFC 6749 §5.2: an error object, with the attempt refused as unauthenticated.
  expect(JSON.parse(answer.text)).toEqual({ error: 'invalid_client', error_description: expect.stringMatching(/too many failed client authentications/) });
};

/** An auth server with the test's limits and `hops` trusted proxies, started for the enclosing describe. */
function serverWithHops(hops: string): { server: RunningAuthServer; admin: string } {
  const running = {} as { server: RunningAuthServer; admin: string };
  beforeAll(async () => {
    running.server = await startAuthServer({ TRUST_PROXY_HOPS: hops, ...LIMITS });
    running.admin = await adminAccessToken(running.server.issuer, REDIRECT_URI);
  });
  afterAll(async () => running.server?.stop());
  return running;
}

describe('with TRUST_PROXY_HOPS=0 (callers reach the auth server directly)', () => {
  const running = serverWithHops('0');

  it("wrong secrets for a service client from forged addresses and any method block the attacker's address, never the real client", async () => {
    const { server, admin } = running;
    // Five failures from 127.0.0.2, by every method, each with another forged X-Forwarded-For.
    const methods = ['post', 'assertion', 'post', 'assertion', 'basic'] as const;
    for (const method of methods) {
      const refused = await clientAuthAttempt(server, 'loans-service', `guess-${method}`, method, { from: '127.0.0.2', xff: forged() });
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ error: 'invalid_client' });
    }
    // The sixth is refused before the secret is looked at, by Basic and by client_secret_post, even the right secret.
    tooManyClientAuth(await clientAuthAttempt(server, 'loans-service', 'another-guess', 'basic', { from: '127.0.0.2', xff: forged() }));
    tooManyClientAuth(await clientAuthAttempt(server, 'loans-service', 'another-guess', 'post', { from: '127.0.0.2', xff: forged() }));
    tooManyClientAuth(await clientAuthAttempt(server, 'loans-service', 'loans-service-secret', 'basic', { from: '127.0.0.2' }));
    // The real service, from its own address, keeps getting tokens.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const issued = await clientAuthAttempt(server, 'loans-service', 'loans-service-secret', 'basic', { from: '127.0.0.1', xff: forged() });
      expect(issued.status).toBe(200);
      expect(JSON.parse(issued.text)).toMatchObject({ token_type: 'Bearer' });
    }
    // The audit names the address the connection came from, never a forged header.
    const rows = (await auditOf(server, admin)).filter((row) => row.clientId === 'loans-service' && row.type !== 'token.issued');
    expect(rows.filter((row) => row.type === 'token.refused' && row.reason === 'invalid_client').map((row) => row.ip)).toEqual(Array(5).fill('127.0.0.2'));
    expect(rows.filter((row) => row.type === 'client_auth.blocked').map((row) => row.ip)).toEqual(Array(3).fill('127.0.0.2'));
  });

  it('evaluates no more than the limit of 100 concurrent wrong secrets', async () => {
    const { server, admin } = running;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, index) => clientAuthAttempt(server, 'accounts-service', `concurrent-${index}`, index % 2 ? 'basic' : 'post', { from: '127.0.0.3' })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(95);
    const refused = (await auditOf(server, admin, { type: 'token.refused', clientId: 'accounts-service' })).filter((row) => row.ip === '127.0.0.3');
    expect(refused).toHaveLength(5);
  });

  it("serves a service's burst of 40 concurrent token requests from one address in full, whatever the failure limit (5 here)", async () => {
    const { server } = running;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) => clientAuthAttempt(server, 'cards-service', 'cards-service-secret', index % 2 ? 'basic' : 'post', { from: '127.0.0.9' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(200));
    // Nothing of the burst counts as a failure: wrong secrets from there still get the whole budget.
    const guesses = [];
    for (let guess = 0; guess < 7; guess += 1) guesses.push((await clientAuthAttempt(server, 'cards-service', `wrong-${guess}`, 'basic', { from: '127.0.0.9' })).status);
    expect(guesses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('evaluates no more than the limit of 60 concurrent password guesses against one account from one address', async () => {
    const { server, admin } = running;
    const post = await openLogin(server, { from: '127.0.0.4' });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, index) => post('bob', `guess-${index}`)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(57);
    const failures = (await auditOf(server, admin, { type: 'login.failure' })).filter((row) => row.ip === '127.0.0.4');
    expect(failures).toHaveLength(3);
    // Bob himself, from his own address, is not locked out.
    expect((await (await openLogin(server, { from: '127.0.0.1' }))('bob', 'bob-demo-password')).status).toBe(303);
  });

  it('never logs or stores a typed username that names no account (a password typed into the wrong field)', async () => {
    const { server, admin } = running;
    const typed = 'Correct-Horse-Battery-9f3b1c';
    const post = await openLogin(server, { from: '127.0.0.5' });
    expect((await post(typed, 'whatever')).status).toBe(401);
    const everything = JSON.stringify(await auditOf(server, admin));
    for (const leak of [typed, typed.toLowerCase()]) {
      expect(server.output()).not.toContain(leak);
      expect(everything).not.toContain(leak);
    }
    expect((await post('bob', 'wrong-password')).status).toBe(401);
    // An existing account is named as stored; a name that names nothing is recorded as unknown.
    const mine = (await auditOf(server, admin, { type: 'login.failure' })).filter((row) => row.ip === '127.0.0.5');
    expect(mine.map((row) => row.details?.username)).toEqual(['bob', 'unknown']);
  });

  it('limits anonymous authorization requests (each creates an interaction) per address', async () => {
    const { server } = running;
    const authorize = `${server.issuer}/auth?${new URLSearchParams({ client_id: 'portal', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
    for (let attempt = 0; attempt < 8; attempt += 1) expect((await send(authorize, { from: '127.0.0.6', headers: { 'x-forwarded-for': forged() } })).status).toBe(303);
    const refused = await send(authorize, { from: '127.0.0.6', headers: { 'x-forwarded-for': forged() } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.text).toContain('Too many sign-in requests');
    // Another address is not affected.
    expect((await send(authorize, { from: '127.0.0.7' })).status).toBe(303);
  });
});

describe('with TRUST_PROXY_HOPS=1 (one proxy in front, appending the address it saw)', () => {
  const running = serverWithHops('1');

  it('takes the address the proxy saw, not the forged leftmost X-Forwarded-For, for limits and the audit', async () => {
    const { server, admin } = running;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await clientAuthAttempt(server, 'cards-service', 'guess', attempt % 2 ? 'basic' : 'post', { xff: `${forged()}, 192.0.2.66` })).status).toBe(401);
    }
    tooManyClientAuth(await clientAuthAttempt(server, 'cards-service', 'guess', 'basic', { xff: `${forged()}, 192.0.2.66` }));
    // The real client behind the same proxy, at another address, is served.
    expect((await clientAuthAttempt(server, 'cards-service', 'cards-service-secret', 'basic', { xff: '192.0.2.10' })).status).toBe(200);
    const post = await openLogin(server, { xff: `${forged()}, 192.0.2.77` });
    expect((await post('alice', 'wrong-password', { xff: `${forged()}, 192.0.2.77` })).status).toBe(401);
    const rows = await auditOf(server, admin);
    expect(rows.filter((row) => row.clientId === 'cards-service' && row.type === 'token.refused').map((row) => row.ip)).toEqual(Array(5).fill('192.0.2.66'));
    expect(rows.find((row) => row.clientId === 'cards-service' && row.type === 'client_auth.blocked')?.ip).toBe('192.0.2.66');
    expect(rows.find((row) => row.clientId === 'cards-service' && row.type === 'token.issued')?.ip).toBe('192.0.2.10');
    expect(rows.find((row) => row.type === 'login.failure')?.ip).toBe('192.0.2.77');
  });

  it('slows a guessing campaign spread over many addresses down per account, without locking the real user out', async () => {
    const { server, admin } = running;
    const post = await openLogin(server, { xff: '192.0.2.1' });
    // 30 guesses at once from 30 addresses: the per-account budget (5) and one slowed attempt at most are evaluated.
    const answers = await Promise.all(Array.from({ length: 30 }, (_, index) => post('bob', `guess-${index}`, { xff: `198.18.0.${index + 1}` })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(5);
    const slowed = answers.filter((answer) => answer.status === 429);
    expect(slowed.length).toBeGreaterThanOrEqual(24);
    for (const answer of slowed) expect(Number(answer.headers['retry-after'])).toBeLessThanOrEqual(2);
    const failures = (await auditOf(server, admin, { type: 'login.failure' })).filter((row) => row.details?.username === 'bob');
    expect(failures.length).toBeLessThanOrEqual(6);
    // Bob, from his own address, waits seconds (not fifteen minutes) and signs in.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await (await openLogin(server, { xff: '192.0.2.200' }))('bob', 'bob-demo-password', { xff: '192.0.2.200' })).status).toBe(303);
  });
});
