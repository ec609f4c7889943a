import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { clientCredentialsToken, decodeJwt } from '../../../tools/testing/processes';
import { formAction, hiddenInput, portalAuthorizeUrl, TestBrowser } from './support/browser';
import { adminAccessToken, auditEvents, basicAuth, type RunningAuthServer, startAuthServer } from './support/auth-server-process';

/**
 * What operators rely on: brute-force protection of logins and client authentication, the audit log,
 * and security changes that take effect at runtime (clients, the scope-to-role mapping).
 */
let server: RunningAuthServer;
let adminToken: string;
const REDIRECT_URI = 'http://127.0.0.1:18080/callback';

beforeAll(async () => {
  server = await startAuthServer({ LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '3', CLIENT_AUTH_MAX_FAILURES_PER_CLIENT_AND_IP: '4' });
  adminToken = await adminAccessToken(server.issuer, REDIRECT_URI);
});

afterAll(async () => server?.stop());

interface AuditRow {
  type: string;
  outcome: string;
  reason?: string;
  clientId?: string;
  subject?: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

const audit = (query: Record<string, string> = {}) => auditEvents<AuditRow>(server.issuer, adminToken, query);

/** Opens the login page for the portal and posts one username/password; returns the answer. */
async function tryLogin(username: string, password: string) {
  const browser = new TestBrowser();
  const authorize = portalAuthorizeUrl(server.issuer, REDIRECT_URI);
  const shown = await browser.follow(authorize);
  const page = await shown.response.text();
  const posted = await browser.request(new URL(formAction(page, 'login'), server.issuer), { form: { csrf: hiddenInput(page, 'csrf'), username, password } });
  return { status: posted.status, page: posted.status === 303 ? '' : await posted.text(), retryAfter: posted.headers.get('retry-after') };
}

const tokenRequest = (clientId: string, secret: string, scope = 'accounts:read') =>
  fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(clientId, secret), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'ops-test-1' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts', scope }),
  });

describe('brute-force protection', () => {
  it('blocks logins to an account from an address after repeated failures, even with the right password, and tells nothing more', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await tryLogin('bob', 'wrong-password')).status).toBe(401);
    const blocked = await tryLogin('bob', 'bob-demo-password');
    expect(blocked.status).toBe(429);
    expect(blocked.page).toContain('Too many failed sign-ins');
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
    // An unknown account is counted and blocked exactly the same way (no account enumeration).
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await tryLogin('nobody-here', 'x')).status).toBe(401);
    expect((await tryLogin('nobody-here', 'x')).status).toBe(429);
    // Other accounts are not affected.
    expect((await tryLogin('alice', 'alice-demo-password')).status).toBe(303);
    const events = await audit();
    expect(events.filter((event) => event.type === 'login.failure' && event.details?.username === 'bob')).toHaveLength(3);
    expect(events.some((event) => event.type === 'login.blocked' && event.details?.username === 'bob')).toBe(true);
    expect(events.some((event) => event.type === 'login.success' && event.outcome === 'success' && typeof event.subject === 'string')).toBe(true);
  });

  it('blocks client authentication at the token endpoint after repeated failures for that client from that address', async () => {
    for (let attempt = 0; attempt < 4; attempt += 1) expect((await tokenRequest('demo-cli', 'not-the-secret')).status).toBe(401);
    const blocked = await tokenRequest('demo-cli', 'demo-cli-secret');
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({ error: 'invalid_client' });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client from the same address still works.
    expect((await clientCredentialsToken(server.issuer, 'accounts-service', 'urn:trustline:loans', 'loans:read')).split('.')).toHaveLength(3);
    const refused = (await audit({ type: 'token.refused' })).filter((event) => event.clientId === 'demo-cli');
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(refused.every((event) => event.reason === 'invalid_client')).toBe(true);
    expect((await audit({ type: 'client_auth.blocked' })).some((event) => event.clientId === 'demo-cli')).toBe(true);
  });
});

describe('the audit log', () => {
  it('records issued tokens with client, subject, grant type and request id, and never a token', async () => {
    const token = await clientCredentialsToken(server.issuer, 'accounts-service', 'urn:trustline:cards', 'cards:read');
    const issued = await audit({ type: 'token.issued', clientId: 'accounts-service' });
    expect(issued[0]).toMatchObject({
      outcome: 'success',
      clientId: 'accounts-service',
      subject: 'accounts-service',
      details: { grant_type: 'client_credentials', resource: 'urn:trustline:cards', scope: 'cards:read' },
    });
    const everything = JSON.stringify(await audit());
    expect(everything).not.toContain(token);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(everything).not.toMatch(/demo-password|-secret"/);
    expect(server.output()).not.toContain(token);
  });

  it('is for administrators only', async () => {
    const notAdmin = await clientCredentialsToken(server.issuer, 'gateway', 'urn:trustline:auth', 'revocations:read');
    const refused = await fetch(`${server.issuer}/admin/audit`, { headers: { authorization: `Bearer ${notAdmin}` } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="admin"');
    expect((await fetch(`${server.issuer}/admin/audit`)).status).toBe(401);
  });
});

describe('security changes at runtime', () => {
  it("changes a client's scopes and disables it without a restart: the next token follows", async () => {
    const registered = server.cli([
      'clients:register',
      JSON.stringify({
        clientId: 'reports',
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        audiences: ['urn:trustline:accounts'],
        allowedScopes: ['accounts:read', 'accounts:write'],
      }),
    ]);
    const secret = String(registered.client_secret);
    expect((await tokenRequest('reports', secret, 'accounts:write')).status).toBe(200);
    server.cli(['clients:update', 'reports', JSON.stringify({ allowedScopes: ['accounts:read'] })]);
    const narrowed = await tokenRequest('reports', secret, 'accounts:write');
    expect(narrowed.status).toBe(400);
    expect(await narrowed.json()).toMatchObject({ error: 'invalid_scope' });
    expect((await tokenRequest('reports', secret, 'accounts:read')).status).toBe(200);
    const disabled = await fetch(`${server.issuer}/admin/clients/reports`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(disabled.status).toBe(200);
    expect((await tokenRequest('reports', secret, 'accounts:read')).status).toBe(401);
    expect((await audit({ type: 'client.changed', clientId: 'reports' })).length).toBe(2);
  });

  it('changes the scope-to-role mapping: a refreshed user token carries the new scopes, no new login needed', async () => {
    const alice = await loginUser({ issuer: server.issuer, redirectUri: REDIRECT_URI, username: 'alice', password: 'alice-demo-password', resources: ['urn:trustline:accounts'] });
    expect(String(decodeJwt(alice.accessTokens['urn:trustline:accounts']).payload.scope).split(' ').sort()).toEqual(['accounts:read', 'accounts:write']);
    const changed = await fetch(`${server.issuer}/admin/roles/customer`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['accounts:read', 'loans:read', 'loans:write', 'cards:read', 'cards:write'] }),
    });
    expect(changed.status).toBe(200);
    try {
      const refreshed = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'portal', refresh_token: alice.refreshToken, resource: 'urn:trustline:accounts' }),
      });
      expect(refreshed.status).toBe(200);
      const body = (await refreshed.json()) as { access_token: string };
      expect(decodeJwt(body.access_token).payload.scope).toBe('accounts:read');
    } finally {
      server.cli(['roles:set', 'customer', 'accounts:read,accounts:write,loans:read,loans:write,cards:read,cards:write']);
    }
    // An unknown scope is refused, and nothing changes.
    const bad = await fetch(`${server.issuer}/admin/roles/customer`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['root'] }),
    });
    expect(bad.status).toBe(400);
  });
});

describe("the auth server's own APIs", () => {
  it('refuse a revoked administrator token as fast as every other verifier', async () => {
    const second = await loginUser({
      issuer: server.issuer,
      redirectUri: REDIRECT_URI,
      username: 'admin',
      password: 'admin-demo-password',
      resources: ['urn:trustline:auth'],
      scope: 'openid admin',
    });
    const token = second.accessTokens['urn:trustline:auth'];
    const audited = () => fetch(`${server.issuer}/admin/audit?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    expect((await audited()).status).toBe(200);
    expect(
      await fetch(`${server.issuer}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'portal', token }),
      }).then((response) => response.status),
    ).toBe(200);
    let status = 200;
    for (let attempt = 0; attempt < 50 && status === 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await audited()).status;
    }
    expect(status).toBe(401);
  });
});
