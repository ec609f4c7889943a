import * as client from 'openid-client';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, decodeJwt, type RunningAuthServer, startAuthServer } from './support/auth-server-process';

let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer();
});

afterAll(async () => {
  await server?.stop();
});

async function m2mConfig(clientId = 'demo-cli', secret = `${clientId}-secret`) {
  const config = await client.discovery(new URL(server.issuer), clientId, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
  return config;
}

describe('discovery and JWKS', () => {
  it('publishes an OpenID Provider configuration that a certified RP library accepts', async () => {
    const config = await m2mConfig();
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.token_endpoint).toBe(`${server.issuer}/token`);
    expect(metadata.jwks_uri).toBe(`${server.issuer}/jwks`);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).not.toEqual(expect.arrayContaining([expect.stringMatching(/^HS|none/)]));
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'private_key_jwt']));
    expect(metadata.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    expect(metadata.revocation_endpoint).toBeDefined();
    expect(metadata.introspection_endpoint).toBeDefined();
    expect(metadata.end_session_endpoint).toBeDefined();
  });

  it('serves only public, asymmetric keys, each with a kid', async () => {
    const response = await fetch(`${server.issuer}/jwks`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.kid).toEqual(expect.any(String));
      expect(key).not.toHaveProperty('d');
    }
  });
});

describe('client credentials', () => {
  it('issues an RFC 9068 at+jwt for the requested audience and scope, verifiable with the JWKS', async () => {
    const config = await m2mConfig();
    const tokens = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:accounts', scope: 'accounts:read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(300);
    expect(tokens.scope).toBe('accounts:read');
    const { header, payload } = decodeJwt(tokens.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(payload).toMatchObject({ iss: server.issuer, sub: 'demo-cli', aud: 'urn:trustline:accounts', client_id: 'demo-cli', scope: 'accounts:read', jti: expect.any(String) });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);

    const jwks = createLocalJWKSet(await (await fetch(`${server.issuer}/jwks`)).json());
    const verified = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: 'urn:trustline:accounts', typ: 'at+jwt', algorithms: ['ES256'] });
    expect(verified.payload.sub).toBe('demo-cli');
  });

  it('gives every token its own jti', async () => {
    const config = await m2mConfig();
    const a = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:loans', scope: 'loans:read' });
    const b = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:loans', scope: 'loans:read' });
    expect(decodeJwt(a.access_token).payload.jti).not.toEqual(decodeJwt(b.access_token).payload.jti);
  });

  it('keeps to least scope per audience: accounts-service gets loans:read on loans and nothing on accounts', async () => {
    const config = await m2mConfig('accounts-service');
    const loans = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:loans', scope: 'loans:read' });
    expect(decodeJwt(loans.access_token).payload).toMatchObject({ aud: 'urn:trustline:loans', scope: 'loans:read' });
    await expect(client.clientCredentialsGrant(config, { resource: 'urn:trustline:accounts', scope: 'accounts:read' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('refuses a scope the client was not given with invalid_scope', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:loans', scope: 'loans:write' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('refuses an unknown resource with invalid_target', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:unknown', scope: 'accounts:read' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_target' });
  });

  it('refuses a wrong or very long secret as invalid_client, a missing one as invalid_request', async () => {
    const empty = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts' }, basicAuth('demo-cli', ''));
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: 'invalid_request' });
    for (const secret of ['wrong-secret', 'x'.repeat(4096)]) {
      const response = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts' }, basicAuth('demo-cli', secret));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    }
    const anonymous = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts' }, null);
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses an unknown client as invalid_client', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts' }, basicAuth('nobody', 'nobody-secret'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('accepts client_secret_post too', async () => {
    const response = await tokenRequest(
      { grant_type: 'client_credentials', resource: 'urn:trustline:cards', scope: 'cards:read', client_id: 'demo-cli', client_secret: 'demo-cli-secret' },
      null,
    );
    expect(response.status).toBe(200);
  });
});

describe('private_key_jwt client authentication', () => {
  it('authenticates a client by a signed assertion against its registered public key, and refuses other keys and HS256', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'reports-key-1', alg: 'ES256', use: 'sig' };
    const registered = server.cli([
      'clients:register',
      JSON.stringify({
        clientId: 'reports',
        tokenEndpointAuthMethod: 'private_key_jwt',
        grantTypes: ['client_credentials'],
        audiences: ['urn:trustline:accounts'],
        allowedScopes: ['accounts:read'],
        jwks: { keys: [jwk] },
      }),
    ]);
    expect(registered).toEqual({ client_id: 'reports' });

    const config = await client.discovery(new URL(server.issuer), 'reports', undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'reports-key-1' }), {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.clientCredentialsGrant(config, { resource: 'urn:trustline:accounts', scope: 'accounts:read' });
    expect(decodeJwt(tokens.access_token).payload).toMatchObject({ client_id: 'reports', aud: 'urn:trustline:accounts' });

    const stranger = await generateKeyPair('ES256');
    const forged = await client.discovery(new URL(server.issuer), 'reports', undefined, client.PrivateKeyJwt({ key: stranger.privateKey, kid: 'reports-key-1' }), {
      execute: [client.allowInsecureRequests],
    });
    await expect(client.clientCredentialsGrant(forged, { resource: 'urn:trustline:accounts' })).rejects.toMatchObject({ error: 'invalid_client' });

    // An HMAC assertion "signed" with public material must never pass for an asymmetric client.
    const now = Math.floor(Date.now() / 1000);
    const hmacAssertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('reports')
      .setSubject('reports')
      .setAudience(server.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    const response = await tokenRequest(
      {
        grant_type: 'client_credentials',
        resource: 'urn:trustline:accounts',
        client_id: 'reports',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: hmacAssertion,
      },
      null,
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('the client registry CLI', () => {
  it('prints a generated 256-bit secret once and stores only its digest', async () => {
    const registered = server.cli([
      'clients:register',
      JSON.stringify({
        clientId: 'nightly-batch',
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        audiences: ['urn:trustline:loans'],
        allowedScopes: ['loans:read'],
      }),
    ]);
    const secret = String(registered.client_secret);
    expect(Buffer.from(secret, 'base64url').length).toBe(32);
    const response = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:loans', scope: 'loans:read' }, basicAuth('nightly-batch', secret));
    expect(response.status).toBe(200);
  });

  it('refuses a registration with a scope outside its audiences', () => {
    expect(() =>
      server.cli([
        'clients:register',
        JSON.stringify({
          clientId: 'greedy',
          tokenEndpointAuthMethod: 'client_secret_basic',
          grantTypes: ['client_credentials'],
          audiences: ['urn:trustline:loans'],
          allowedScopes: ['accounts:write'],
        }),
      ]),
    ).toThrow(/accounts:write belongs to none/);
  });
});

describe('token endpoint errors (RFC 6749 §5.2)', () => {
  it('answers an unknown grant type with unsupported_grant_type', async () => {
    const response = await tokenRequest({ grant_type: 'password', username: 'alice', password: 'alice-demo-password' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('answers a missing grant type with invalid_request', async () => {
    const response = await tokenRequest({});
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('answers a JSON body with a clear 4xx (the token endpoint takes forms only)', async () => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret'), 'content-type': 'application/json' },
      body: '{"grant_type": "client_credentials"',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; error_description?: string };
    expect(body.error).toBe('invalid_request');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js/);
  });

  it('answers an oversized body with a 4xx and keeps serving', async () => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&pad=${'a'.repeat(200 * 1024)}`,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const again = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts', scope: 'accounts:read' });
    expect(again.status).toBe(200);
  });

  it('sends no-store caching headers on token responses', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts', scope: 'accounts:read' });
    expect(response.headers.get('cache-control')).toContain('no-store');
  });

  it('never writes a secret or a token to its log', async () => {
    const tokens = (await (await tokenRequest({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts', scope: 'accounts:read' })).json()) as {
      access_token: string;
    };
    const log = server.output();
    expect(log).not.toContain('demo-cli-secret');
    expect(log).not.toContain(tokens.access_token);
    expect(log).not.toContain(Buffer.from('demo-cli:demo-cli-secret').toString('base64'));
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${server.issuer}/no-such-route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
  });

  it('reports health without auth', async () => {
    expect((await fetch(`${server.issuer}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${server.issuer}/health/ready`)).json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });
});

function tokenRequest(form: Record<string, string>, authorization: string | null = basicAuth('demo-cli', 'demo-cli-secret')) {
  return fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}
