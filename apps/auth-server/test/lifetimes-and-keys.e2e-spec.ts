import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, decodeJwt, type RunningAuthServer, startAuthServer } from './support/auth-server-process';

let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer({ ACCESS_TOKEN_TTL: '120', REFRESH_TOKEN_TTL: '3600' });
});

afterAll(async () => {
  await server?.stop();
});

describe('configured lifetimes', () => {
  it('issues access tokens for ACCESS_TOKEN_TTL seconds', async () => {
    const config = await client.discovery(new URL(server.issuer), 'demo-cli', undefined, client.ClientSecretBasic('demo-cli-secret'), { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:cards', scope: 'cards:read' });
    expect(tokens.expires_in).toBe(120);
    const { payload } = decodeJwt(tokens.access_token);
    expect((payload.exp as number) - (payload.iat as number)).toBe(120);
  });
});

describe('signing keys across restarts', () => {
  it('keeps the same published key when the server restarts on the same database', async () => {
    const before = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    const config = await client.discovery(new URL(server.issuer), 'demo-cli', undefined, client.ClientSecretBasic('demo-cli-secret'), { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:cards', scope: 'cards:read' });
    expect(before.keys.map((key) => key.kid)).toContain(decodeJwt(tokens.access_token).header.kid);

    await server.restart();

    const after = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((key) => key.kid)).toEqual(before.keys.map((key) => key.kid));
    // A token issued before the restart still verifies (introspection checks the signature).
    const introspection = await fetch(`${server.issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret') },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(await introspection.json()).toMatchObject({ active: true });
  });
});
