import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCredentialsTokenClient } from './client-credentials-token-client';
import { m2mFetch } from './m2m-calls';

const ISSUER = 'http://auth.test';
let issued = 0;
const tokenFetch = (async (input: string | URL) => {
  if (String(input).endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });
  issued += 1;
  return Response.json({ access_token: `token-${issued}`, expires_in: 300 });
}) as typeof fetch;

// A callee that refuses the first token it sees (as after a revocation) and accepts any other.
const seen: (string | undefined)[] = [];
let callee: Server;
let url: string;

beforeAll(async () => {
  callee = createServer((request, response) => {
    seen.push(request.headers.authorization);
    response.statusCode = request.headers.authorization === 'Bearer token-1' ? 401 : 200;
    response.end(JSON.stringify({ traceparent: request.headers.traceparent ?? null }));
  });
  await new Promise<void>((resolve) => callee.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(callee.address() as AddressInfo).port}/api/loans`;
});

afterAll(() => new Promise<void>((resolve) => callee.close(() => resolve())));

describe('m2mFetch', () => {
  it("sends the service's own token, renews it once on 401, and keeps the caller's headers", async () => {
    const tokens = new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'accounts-service', clientSecret: 's', fetch: tokenFetch });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await m2mFetch(tokens, { audience: 'urn:trustline:loans', scopes: ['loans:read'] }, url, { headers: { traceparent } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ traceparent });
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
    // The renewed token is cached: the next call needs no token request.
    await (await m2mFetch(tokens, { audience: 'urn:trustline:loans', scopes: ['loans:read'] }, url)).text();
    expect(issued).toBe(2);
  });
});
