import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { clientCredentialsToken } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from './support/system';

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => system?.stop());

describe('the auth server stopped', () => {
  it('already-issued tokens still verify at the gateway and at every service (cached keys); new logins fail cleanly', async () => {
    const tokens = Object.fromEntries(
      await Promise.all(SERVICES.map(async (service) => [service, await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES[service], `${service}:read`)])),
    );
    await system.auth.halt();
    try {
      for (const service of SERVICES) {
        expect((await call(system.gateway.url, 'GET', `/api/${service}/me`, tokens[service])).status, `gateway /api/${service}`).toBe(200);
        expect((await call(system.services[service].url, 'GET', `/api/${service}/me`, tokens[service])).status, `${service} directly`).toBe(200);
      }
      // Nothing can be issued: the login fails at once with a connection error, nothing hangs.
      await expect(
        loginUser({ issuer: system.issuer, redirectUri: system.portalRedirectUri, username: 'alice', password: 'alice-demo-password', resources: [AUDIENCES.accounts] }),
      ).rejects.toThrow();
      // An unknown kid cannot be looked up now: refused, not crashed.
      expect((await call(system.gateway.url, 'GET', '/api/accounts/me', 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Im5ldy1rZXkifQ.e30.AAAA')).status).toBe(401);
      // Still ready: readiness means "can verify", and the keys are held.
      expect((await call(system.gateway.url, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await system.auth.restart();
    }
    const afterwards = await loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username: 'alice',
      password: 'alice-demo-password',
      resources: [AUDIENCES.accounts],
    });
    expect((await call(system.gateway.url, 'GET', '/api/accounts/me', afterwards.accessTokens[AUDIENCES.accounts])).status).toBe(200);
  });
});

describe('a service stopped', () => {
  it('gets a fast 503 from the gateway, a 502 from customer details, and everything recovers when it is back', async () => {
    const loansToken = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.loans, 'loans:read');
    const accountsToken = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.accounts, 'accounts:read loans:read cards:read');
    await system.services.loans.halt();
    try {
      const down = await call(system.gateway.url, 'GET', '/api/loans/me', loansToken);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ error: 'upstream_unavailable', message: 'loans is unavailable' });
      expect((await call(system.gateway.url, 'GET', '/api/accounts/customers/anyone/details', accountsToken)).status).toBe(502);
      // The other services are untouched.
      expect((await call(system.gateway.url, 'GET', '/api/accounts/me', accountsToken)).status).toBe(200);
    } finally {
      await system.services.loans.restart();
    }
    expect((await call(system.gateway.url, 'GET', '/api/loans/me', loansToken)).status).toBe(200);
    expect((await call(system.gateway.url, 'GET', '/api/accounts/customers/anyone/details', accountsToken)).status).toBe(200);
  });
});

describe('concurrent writes through the gateway', () => {
  it('50 parallel deposits to one account lose nothing (each retries on 409 with the version it re-read)', async () => {
    const alice = await loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username: 'alice',
      password: 'alice-demo-password',
      resources: [AUDIENCES.accounts],
    });
    const token = alice.accessTokens[AUDIENCES.accounts];
    const opened = await call(system.gateway.url, 'POST', '/api/accounts', token, { name: 'Concurrency', currency: 'EUR', balance: 0 });
    expect(opened.status).toBe(201);
    const id = (opened.body as { id: string }).id;

    const deposit = async () => {
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const current = (await call(system.gateway.url, 'GET', `/api/accounts/${id}`, token)).body as { version: number };
        const answer = await call(system.gateway.url, 'PATCH', `/api/accounts/${id}`, token, { deposit: 100, version: current.version });
        if (answer.status === 200) return true;
        expect(answer.status).toBe(409);
      }
      return false;
    };
    const results = await Promise.all(Array.from({ length: 50 }, deposit));
    expect(results.every(Boolean)).toBe(true);
    const final = (await call(system.gateway.url, 'GET', `/api/accounts/${id}`, token)).body as { balance: number; version: number };
    expect(final.balance).toBe(5_000);
    expect(final.version).toBe(51);
  });
});
