import { describe, expect, it } from 'vitest';
import { ClientCredentialsTokenClient, TokenRequestError } from './client-credentials-token-client';

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

  it('refuses to be built without credentials', () => {
    expect(() => new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: '', clientSecret: 's' })).toThrow(TypeError);
  });
});
