import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, decodeJwt, type RunningAuthServer, startAuthServer } from './support/auth-server-process';
import { formAction, hiddenInput, TestBrowser } from './support/browser';
import { clientCredentialsToken } from '../../../tools/testing/processes';

const REDIRECT_URI = 'http://127.0.0.1:18080/callback';
const RESOURCES = ['urn:trustline:accounts', 'urn:trustline:loans', 'urn:trustline:cards'];
const PORTAL_SCOPE = 'openid profile offline_access accounts:read accounts:write loans:read loans:write cards:read cards:write';

let server: RunningAuthServer;
let portal: client.Configuration;

beforeAll(async () => {
  server = await startAuthServer();
  portal = await client.discovery(new URL(server.issuer), 'portal', undefined, client.None(), { execute: [client.allowInsecureRequests] });
});

afterAll(async () => {
  await server?.stop();
});

interface Authorization {
  browser: TestBrowser;
  verifier: string;
  state: string;
  nonce: string;
  url: URL;
}

async function authorizationRequest(config = portal, extra: Record<string, string> = {}, resources = RESOURCES): Promise<Authorization> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const parameters = new URLSearchParams({
    redirect_uri: REDIRECT_URI,
    scope: PORTAL_SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  for (const resource of resources) parameters.append('resource', resource);
  return { browser: new TestBrowser(), verifier, state, nonce, url: client.buildAuthorizationUrl(config, parameters) };
}

/** Opens the authorization URL and signs in through the HTML login form; returns the callback URL. */
async function signIn(authorization: Authorization, username: string, password: string): Promise<{ loginPage: string; callback?: string; status: number }> {
  const { browser } = authorization;
  const shown = await browser.follow(authorization.url);
  expect(shown.url).toMatch(/\/interaction\/[A-Za-z0-9_-]+$/);
  const loginPage = await shown.response.text();
  const posted = await browser.request(new URL(formAction(loginPage, 'login'), server.issuer), { form: { csrf: hiddenInput(loginPage, 'csrf'), username, password } });
  if (posted.status !== 303) return { loginPage, status: posted.status };
  const done = await browser.follow(new URL(posted.headers.get('location')!, server.issuer), REDIRECT_URI);
  return { loginPage, callback: done.url, status: posted.status };
}

async function loginAsAlice(resource = 'urn:trustline:accounts') {
  const authorization = await authorizationRequest();
  const { callback } = await signIn(authorization, 'alice', 'alice-demo-password');
  expect(callback).toBeDefined();
  const tokens = await client.authorizationCodeGrant(
    portal,
    new URL(callback!),
    { pkceCodeVerifier: authorization.verifier, expectedState: authorization.state, expectedNonce: authorization.nonce },
    { resource },
  );
  return { authorization, tokens };
}

describe('authorization code with PKCE through the login page', () => {
  it('logs alice in and issues an ID token, a refresh token and an at+jwt for the named resource', async () => {
    const { tokens } = await loginAsAlice();
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: server.issuer, aud: 'portal', preferred_username: 'alice' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const { header, payload } = decodeJwt(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(payload).toMatchObject({ iss: server.issuer, sub: claims.sub, aud: 'urn:trustline:accounts', client_id: 'portal', roles: ['customer'], gid: expect.any(String) });
    // Its own scopes, and the read scopes of what it serves from loans and cards for the caller (the
    // customer details): the portal holds those on loans and cards too. Never their write scopes.
    expect(String(payload.scope).split(' ').sort()).toEqual(['accounts:read', 'accounts:write', 'cards:read', 'loans:read']);
    expect(String(payload.scope)).not.toMatch(/loans:write|cards:write/);
  });

  it('serves the login page without framing, caching or scripts', async () => {
    const authorization = await authorizationRequest();
    const shown = await authorization.browser.follow(authorization.url);
    expect(shown.response.status).toBe(200);
    expect(shown.response.headers.get('x-frame-options')).toBe('DENY');
    expect(shown.response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(shown.response.headers.get('cache-control')).toBe('no-store');
    const html = await shown.response.text();
    expect(html).toContain('<form method="post"');
    expect(html).not.toContain('<script');
  });

  it('refuses a wrong password with a 401 page and no redirect', async () => {
    const authorization = await authorizationRequest();
    const result = await signIn(authorization, 'alice', 'not-her-password');
    expect(result.status).toBe(401);
    expect(result.callback).toBeUndefined();
  });

  it('refuses a login post without the CSRF token, with a forged one, or from another origin', async () => {
    const authorization = await authorizationRequest();
    const shown = await authorization.browser.follow(authorization.url);
    const page = await shown.response.text();
    const action = new URL(formAction(page, 'login'), server.issuer);
    const credentials = { username: 'alice', password: 'alice-demo-password' };
    expect((await authorization.browser.request(action, { form: credentials })).status).toBe(403);
    expect((await authorization.browser.request(action, { form: { ...credentials, csrf: 'forged' } })).status).toBe(403);
    const crossSite = await authorization.browser.request(action, { form: { ...credentials, csrf: hiddenInput(page, 'csrf') }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
  });

  it('refuses a login post from a browser that did not start the interaction', async () => {
    const authorization = await authorizationRequest();
    const shown = await authorization.browser.follow(authorization.url);
    const page = await shown.response.text();
    const stranger = new TestBrowser();
    const response = await stranger.request(new URL(formAction(page, 'login'), server.issuer), {
      form: { csrf: hiddenInput(page, 'csrf'), username: 'alice', password: 'alice-demo-password' },
    });
    expect(response.status).toBe(400);
  });

  it('refuses an authorization request without PKCE, with plain PKCE, or with an unregistered redirect URI', async () => {
    const base = { client_id: 'portal', response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 'xyz' };
    const noPkce = await fetch(`${server.issuer}/auth?${new URLSearchParams(base)}`, { redirect: 'manual' });
    expect(new URL(noPkce.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');

    const plain = await fetch(`${server.issuer}/auth?${new URLSearchParams({ ...base, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })}`, { redirect: 'manual' });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');

    // Exact matching: a different path, a suffix or an open redirect target is never redirected to.
    for (const redirect of ['http://127.0.0.1:18080/callback/extra', 'http://127.0.0.1:18080/callback?x=1', 'https://evil.example/callback']) {
      const response = await fetch(
        `${server.issuer}/auth?${new URLSearchParams({ ...base, redirect_uri: redirect, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' })}`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri');
    }
  });

  it('refuses to redeem a code twice or with the wrong verifier', async () => {
    const authorization = await authorizationRequest();
    const { callback } = await signIn(authorization, 'alice', 'alice-demo-password');
    const code = new URL(callback!).searchParams.get('code')!;
    const redeem = (verifier: string) =>
      fetch(`${server.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          client_id: 'portal',
          code_verifier: verifier,
          resource: 'urn:trustline:accounts',
        }),
      });
    const wrong = await redeem(client.randomPKCECodeVerifier());
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('serves userinfo for an opaque userinfo token and the ID token claims for the user', async () => {
    const authorization = await authorizationRequest(portal, {}, []);
    const { callback } = await signIn(authorization, 'bob', 'bob-demo-password');
    const tokens = await client.authorizationCodeGrant(portal, new URL(callback!), {
      pkceCodeVerifier: authorization.verifier,
      expectedState: authorization.state,
      expectedNonce: authorization.nonce,
    });
    const sub = tokens.claims()!.sub;
    const userinfo = await client.fetchUserInfo(portal, tokens.access_token, sub);
    expect(userinfo).toMatchObject({ sub, preferred_username: 'bob' });
  });
});

describe('refresh tokens', () => {
  it('rotate on every use, and a new resource can be asked for with the refresh token', async () => {
    const { tokens } = await loginAsAlice();
    const refreshed = await client.refreshTokenGrant(portal, tokens.refresh_token!, { resource: 'urn:trustline:loans' });
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toEqual(tokens.refresh_token);
    expect(decodeJwt(refreshed.access_token).payload).toMatchObject({ aud: 'urn:trustline:loans', roles: ['customer'] });
  });

  it('revoke the whole grant when a consumed refresh token comes back', async () => {
    const { tokens } = await loginAsAlice();
    const first = await client.refreshTokenGrant(portal, tokens.refresh_token!, { resource: 'urn:trustline:accounts' });
    await expect(client.refreshTokenGrant(portal, tokens.refresh_token!, { resource: 'urn:trustline:accounts' })).rejects.toMatchObject({ error: 'invalid_grant' });
    // The rotated, never-used token died with the grant …
    await expect(client.refreshTokenGrant(portal, first.refresh_token!, { resource: 'urn:trustline:accounts' })).rejects.toMatchObject({ error: 'invalid_grant' });
    // … and so did the grant's JWT access tokens, which the engine cannot recall by itself.
    const introspection = await introspect(first.access_token);
    expect(introspection).toEqual({ active: false });
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('introspects a user access token for an authenticated client and reports it inactive once revoked', async () => {
    const { tokens } = await loginAsAlice();
    const active = await introspect(tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: 'portal', aud: 'urn:trustline:accounts', roles: ['customer'] });

    // The portal is a public client: it may revoke its own tokens with its client_id alone.
    await client.tokenRevocation(portal, tokens.access_token);
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  it('revokes a refresh token, and with it the grant', async () => {
    const { tokens } = await loginAsAlice();
    await client.tokenRevocation(portal, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    await expect(client.refreshTokenGrant(portal, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  it('requires client authentication: anonymous or public callers cannot introspect', async () => {
    const { tokens } = await loginAsAlice();
    const anonymous = await fetch(`${server.issuer}/token/introspection`, { method: 'POST', body: new URLSearchParams({ token: tokens.access_token }) });
    expect(anonymous.status).toBe(400);
    const publicClient = await fetch(`${server.issuer}/token/introspection`, { method: 'POST', body: new URLSearchParams({ token: tokens.access_token, client_id: 'portal' }) });
    expect(publicClient.status).toBe(401);
    expect(await publicClient.json()).toMatchObject({ error: 'invalid_client' });
    const wrongSecret = await fetch(`${server.issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'nope') },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(wrongSecret.status).toBe(401);
  });

  it('lets only the token’s own client revoke it', async () => {
    const m2m = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret') },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts', scope: 'accounts:read' }),
    });
    const { access_token } = (await m2m.json()) as { access_token: string };
    const other = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basicAuth('gateway', 'gateway-secret') },
      body: new URLSearchParams({ token: access_token }),
    });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: 'invalid_request' });
    expect(await introspect(access_token)).toMatchObject({ active: true });
  });

  it('answers inactive to a client that is neither the token’s client nor its audience’s resource server (RFC 7662 §4)', async () => {
    const access_token = await clientCredentialsToken(server.issuer, 'accounts-service', 'urn:trustline:loans', 'loans:read');
    expect(await introspect(access_token, 'demo-cli')).toEqual({ active: false });
    expect(await introspect(access_token, 'cards-service')).toEqual({ active: false });
    expect(await introspect(access_token, 'accounts-service')).toMatchObject({ active: true, client_id: 'accounts-service', aud: 'urn:trustline:loans' });
    expect(await introspect(access_token, 'loans-service')).toMatchObject({ active: true, client_id: 'accounts-service' });

    // A user's token (the portal is public and cannot introspect): only its audience's resource server.
    const { tokens } = await loginAsAlice();
    expect(await introspect(tokens.access_token, 'demo-cli')).toEqual({ active: false });
    expect(await introspect(tokens.access_token, 'loans-service')).toEqual({ active: false });
    expect(await introspect(tokens.access_token, 'accounts-service')).toMatchObject({ active: true, client_id: 'portal', aud: 'urn:trustline:accounts' });
    // Its opaque refresh token has no resource server: no other client learns about it.
    expect(await introspect(tokens.refresh_token!, 'demo-cli')).toEqual({ active: false });
    expect(await introspect(tokens.refresh_token!, 'accounts-service')).toEqual({ active: false });
  });

  it('answers 200 and does nothing for a garbage or forged token', async () => {
    for (const token of ['not-a-token', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.', `${'a'.repeat(20)}.${'b'.repeat(20)}.${'c'.repeat(20)}`]) {
      const response = await fetch(`${server.issuer}/token/revocation`, {
        method: 'POST',
        headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret') },
        body: new URLSearchParams({ token }),
      });
      expect(response.status).toBe(200);
      expect(await introspect(token)).toEqual({ active: false });
    }
  });
});

describe('logout (RP-initiated end session)', () => {
  it('ends the session: the next authorization asks for the password again', async () => {
    const { authorization, tokens } = await loginAsAlice();
    const { browser } = authorization;
    const endSession = client.buildEndSessionUrl(portal, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:18080/' });
    const confirm = await browser.follow(endSession);
    const page = await confirm.response.text();
    expect(page).toContain('Sign out');
    const xsrf = hiddenInput(page, 'xsrf');
    const posted = await browser.request(new URL('/session/end/confirm', server.issuer), { form: { xsrf, logout: 'yes' } });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('http://127.0.0.1:18080/');

    const again = await authorizationRequest();
    const shown = await browser.follow(again.url);
    expect(shown.url).toMatch(/\/interaction\//);
    expect(await shown.response.text()).toContain('name="password"');
  });

  it('keeps the session when the user is still signed in: no password needed for the next authorization', async () => {
    const { authorization } = await loginAsAlice();
    const again = await authorizationRequest();
    const done = await authorization.browser.follow(again.url, REDIRECT_URI);
    expect(new URL(done.url).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe('consent for third-party clients', () => {
  it('shows a consent page, grants only on Allow, and answers access_denied on Deny', async () => {
    const registered = server.cli([
      'clients:register',
      JSON.stringify({
        clientId: 'budget-app',
        name: 'Budget App',
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT_URI],
        audiences: ['urn:trustline:accounts'],
        allowedScopes: ['accounts:read'],
      }),
    ]);
    const secret = String(registered.client_secret);
    expect(secret.length).toBeGreaterThanOrEqual(43);
    const thirdParty = await client.discovery(new URL(server.issuer), 'budget-app', undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });

    // It asks for more than it is registered for: the consent page and the token show only what it may have.
    const allow = await authorizationRequest(thirdParty, { scope: 'openid accounts:read accounts:write' }, ['urn:trustline:accounts']);
    const shown = await allow.browser.follow(allow.url);
    const loginPage = await shown.response.text();
    const posted = await allow.browser.request(new URL(formAction(loginPage, 'login'), server.issuer), {
      form: { csrf: hiddenInput(loginPage, 'csrf'), username: 'alice', password: 'alice-demo-password' },
    });
    const consent = await allow.browser.follow(new URL(posted.headers.get('location')!, server.issuer), REDIRECT_URI);
    const consentPage = await consent.response.text();
    expect(consentPage).toContain('Authorize Budget App');
    expect(consentPage).toContain('accounts:read');
    expect(consentPage).not.toContain('accounts:write');
    const confirmed = await allow.browser.request(new URL(formAction(consentPage, 'confirm'), server.issuer), { form: { csrf: hiddenInput(consentPage, 'csrf') } });
    const callback = await allow.browser.follow(new URL(confirmed.headers.get('location')!, server.issuer), REDIRECT_URI);
    const tokens = await client.authorizationCodeGrant(
      thirdParty,
      new URL(callback.url),
      { pkceCodeVerifier: allow.verifier, expectedState: allow.state, expectedNonce: allow.nonce },
      { resource: 'urn:trustline:accounts' },
    );
    expect(decodeJwt(tokens.access_token).payload).toMatchObject({ scope: 'accounts:read', client_id: 'budget-app' });

    const deny = await authorizationRequest(thirdParty, { scope: 'openid accounts:read', prompt: 'consent' }, ['urn:trustline:accounts']);
    const denied = await allow.browser.follow(deny.url);
    const denyPage = await denied.response.text();
    const aborted = await allow.browser.request(new URL(formAction(denyPage, 'abort'), server.issuer), { form: { csrf: hiddenInput(denyPage, 'csrf') } });
    const back = await allow.browser.follow(new URL(aborted.headers.get('location')!, server.issuer), REDIRECT_URI);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
  });
});

/** The resource server of a token's audience (`urn:trustline:<name>` is served by `<name>-service`); demo-cli for a non-token. */
function resourceServerOf(token: string): string {
  try {
    const audience = /^urn:trustline:([a-z0-9]+)$/.exec(String(decodeJwt(token).payload.aud))?.[1];
    return audience ? `${audience}-service` : 'demo-cli';
  } catch {
    return 'demo-cli';
  }
}

/** RFC 7662 introspection by a caller allowed to see the token (default: its audience's resource server). */
async function introspect(token: string, caller = resourceServerOf(token)): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basicAuth(caller, `${caller}-secret`) },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}
