import { describe, expect, it } from 'vitest';
import { ClientCredentialsTokenClient, parseRetryAfter, TokenRequestError } from './client-credentials-token-client';

const ISSUER = 'http://auth.test';

function fakeAuthServer(behaviour: { fail?: number; status?: number; expiresIn?: number } = {}) {
  const calls: { url: string; body?: string; authorization?: string }[] = [];
  let failures = behaviour.fail ?? 0;
  let issued = 0;
  const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });
    calls.push({ url, body: String(init?.body), authorization: (init?.headers as Record<string, string>).authorization });
    if (failures > 0) {
      failures -= 1;
      return Response.json({ error: 'server_error' }, { status: behaviour.status ?? 503 });
    }
    issued += 1;
    return Response.json({ access_token: `token-${issued}`, expires_in: behaviour.expiresIn ?? 300, token_type: 'Bearer' });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describe('ClientCredentialsTokenClient', () => {
  it('asks for the audience and the least scope, authenticating with HTTP Basic', async () => {
    const server = fakeAuthServer();
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'accounts-service', clientSecret: 's3cret', fetch: server.fetchImpl });
    expect(await client.getToken('urn:trustline:loans', ['loans:read'])).toBe('token-1');
    const body = new URLSearchParams(server.calls[0].body);
    expect(Object.fromEntries(body)).toEqual({ grant_type: 'client_credentials', resource: 'urn:trustline:loans', scope: 'loans:read' });
    expect(server.calls[0].authorization).toBe(`Basic ${Buffer.from('accounts-service:s3cret').toString('base64')}`);
  });

  it('caches one token per (audience, scopes) and shares one request among concurrent callers', async () => {
    const server = fakeAuthServer();
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: server.fetchImpl });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken('urn:trustline:loans', ['loans:read'])));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    await client.getToken('urn:trustline:loans', ['loans:read']);
    expect(server.calls).toHaveLength(1);
    await client.getToken('urn:trustline:cards', ['cards:read']);
    expect(server.calls).toHaveLength(2);
  });

  it('renews before expiry', async () => {
    const server = fakeAuthServer({ expiresIn: 1 });
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: server.fetchImpl });
    await client.getToken('a', ['x']);
    await new Promise((resolve) => setTimeout(resolve, 850));
    expect(await client.getToken('a', ['x'])).toBe('token-2');
  });

  it('retries transient failures with backoff, not refusals', async () => {
    const flaky = fakeAuthServer({ fail: 2 });
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: flaky.fetchImpl, retryBaseMs: 1 });
    expect(await client.getToken('a', ['x'])).toBe('token-1');
    expect(flaky.calls).toHaveLength(3);

    const refusing = fakeAuthServer({ fail: 5, status: 401 });
    const strict = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 'wrong', fetch: refusing.fetchImpl, retryBaseMs: 1 });
    await expect(strict.getToken('a', ['x'])).rejects.toBeInstanceOf(TokenRequestError);
    expect(refusing.calls).toHaveLength(1);
  });

  /** A token endpoint that answers each request from a script, recording when it was asked. */
  function scripted(answers: (() => Response)[]) {
    const at: number[] = [];
    const fetchImpl = (async (input: string | URL) => {
      if (String(input).endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });
      at.push(Date.now());
      const next = answers.shift();
      return next ? next() : Response.json({ access_token: 'late', expires_in: 300 });
    }) as typeof fetch;
    return { at, fetchImpl };
  }
  const ok = () => Response.json({ access_token: 'fresh', expires_in: 300 });
  const limited = (status: number, retryAfter?: string) => () =>
    Response.json({ error: status === 429 ? 'invalid_client' : 'temporarily_unavailable' }, { status, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } });

  it('retries 429 and 503 after the Retry-After the server gave, in seconds or as an HTTP date (RFC 9110 §10.2.3)', async () => {
    const seconds = scripted([limited(429, '1'), ok]);
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: seconds.fetchImpl, retryBaseMs: 1 });
    expect(await client.getToken('a', ['x'])).toBe('fresh');
    expect(seconds.at).toHaveLength(2);
    expect(seconds.at[1] - seconds.at[0]).toBeGreaterThanOrEqual(1_000);

    const date = scripted([limited(503, new Date(Date.now() + 2_000).toUTCString()), ok]);
    const dated = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: date.fetchImpl, retryBaseMs: 1 });
    expect(await dated.getToken('a', ['x'])).toBe('fresh');
    expect(date.at[1] - date.at[0]).toBeGreaterThanOrEqual(900);
  });

  it('backs off exponentially with jitter when a 429 or 503 says nothing about when', async () => {
    const draws: number[] = [];
    const random = () => {
      draws.push(1);
      return 0.999;
    };
    const server = scripted([limited(429), limited(503), ok]);
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: server.fetchImpl, retryBaseMs: 100, random });
    expect(await client.getToken('a', ['x'])).toBe('fresh');
    expect(server.at).toHaveLength(3);
    // Full jitter over 100 ms, then over 200 ms (the random source drawn once per wait).
    expect(draws).toHaveLength(2);
    expect(server.at[1] - server.at[0]).toBeGreaterThanOrEqual(90);
    expect(server.at[2] - server.at[1]).toBeGreaterThanOrEqual(190);

    const zero = scripted([limited(503), limited(503), limited(503)]);
    const none = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: zero.fetchImpl, retryBaseMs: 10_000, random: () => 0 });
    await expect(none.getToken('a', ['x'])).rejects.toMatchObject({ status: 503 });
    expect(zero.at).toHaveLength(3);
  });

  it('fails at once on a Retry-After beyond its bound, and asks nothing more until it has passed', async () => {
    const server = scripted([limited(429, '300'), ok]);
    const client = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'c', clientSecret: 's', fetch: server.fetchImpl, retryBaseMs: 1, maxRetryDelayMs: 2_000 });
    const started = Date.now();
    await expect(client.getToken('a', ['x'])).rejects.toMatchObject({ name: 'TokenRequestError', status: 429, retryAfterMs: 300_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(client.getToken('b', ['y'])).rejects.toMatchObject({ status: 429 });
    expect(server.at).toHaveLength(1);

    // The wait it keeps is capped (a server cannot silence the client for ever).
    const capped = scripted([limited(429, '300'), ok]);
    const short = new ClientCredentialsTokenClient({
      issuer: ISSUER,
      clientId: 'c',
      clientSecret: 's',
      fetch: capped.fetchImpl,
      retryBaseMs: 1,
      maxRetryDelayMs: 2_000,
      retryAfterCapMs: 200,
    });
    expect(await short.getToken('a', ['x'])).toBe('fresh');
    expect(capped.at[1] - capped.at[0]).toBeGreaterThanOrEqual(200);
  });

  it('parses Retry-After as delay-seconds or an HTTP-date, and ignores anything else', () => {
    const now = Date.parse('Tue, 01 Dec 2026 12:00:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
    for (const bad of [null, '', '-5', '1.5', 'soon']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });

  it('refuses to be built without credentials', () => {
    expect(() => new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: '', clientSecret: 's' })).toThrow(TypeError);
  });
});
