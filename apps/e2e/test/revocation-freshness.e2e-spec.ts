import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { clientCredentialsToken, type RunningProcess, startApp } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from './support/system';
import { eventually, revokeAsPortal } from './support/tokens';

/**
 * What a verifier does when it cannot follow the revocation feed (docs/security-model.md, "Revocation
 * freshness"). The auth server stopped: nothing can be revoked, so the tokens already issued keep
 * verifying on the last state, at every hop, for REVOCATION_MAX_STALENESS_SECONDS (here 4 s, 300 s by
 * default); past it the verifiers turn not ready; when the auth server returns they catch up first. The
 * feed refused (the auth server is up and says no, e.g. the service's client disabled): revocations may
 * be happening that the verifier cannot see, so it fails closed within a few poll periods, logs it and
 * counts it. A new replica is not ready until its first complete catch-up.
 */
const MAX_STALENESS_SECONDS = 4;
const POLL_MS = 250;

let system: RunningSystem;
const verifiers = () => [system.gateway, ...SERVICES.map((service) => system.services[service])];

const ready = async (app: RunningProcess) => {
  const answer = await call(app.url, 'GET', '/health/ready');
  return { status: answer.status, feed: (answer.body as { details?: Record<string, { status: string; state?: string }> }).details?.revocation_feed };
};

const metric = async (app: RunningProcess, pattern: RegExp) => {
  const text = await (await fetch(app.metricsUrl())).text();
  const value = pattern.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
};

beforeAll(async () => {
  const staleness = { REVOCATION_MAX_STALENESS_SECONDS: String(MAX_STALENESS_SECONDS) };
  system = await startSystem({
    revocationPollMs: POLL_MS,
    env: Object.fromEntries(['gateway', ...SERVICES].map((app) => [app, staleness])),
  });
  for (const app of verifiers()) expect(await eventually(async () => (await ready(app)).status === 200, 10_000), `${app.name} ready`).toBe(true);
});

afterAll(async () => system?.stop());

describe('the auth server stopped', () => {
  it('issued tokens verify at every hop for the whole window, readiness holds inside it and turns false past it, and the verifiers catch up when it returns', async () => {
    const alice = await loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username: 'alice',
      password: 'alice-demo-password',
      resources: [AUDIENCES.accounts],
    });
    const user = alice.accessTokens[AUDIENCES.accounts];
    const tokens = Object.fromEntries(
      await Promise.all(SERVICES.map(async (service) => [service, await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES[service], `${service}:read`)])),
    );
    const haltStarted = Date.now();
    await system.auth.halt();
    const haltedAt = Date.now();
    try {
      // Inside the window: every hop, again and again, until a second before it ends.
      let rounds = 0;
      while (Date.now() - haltedAt < (MAX_STALENESS_SECONDS - 1) * 1000) {
        expect((await call(system.gateway.url, 'GET', '/api/accounts/me', user)).status, 'user token at the gateway').toBe(200);
        expect((await call(system.services.accounts.url, 'GET', '/api/accounts/me', user)).status, 'user token at accounts').toBe(200);
        for (const service of SERVICES) {
          expect((await call(system.gateway.url, 'GET', `/api/${service}/me`, tokens[service])).status, `gateway /api/${service}`).toBe(200);
          expect((await call(system.services[service].url, 'GET', `/api/${service}/me`, tokens[service])).status, `${service} directly`).toBe(200);
        }
        for (const app of verifiers())
          expect(await ready(app), `${app.name} ready inside the window`).toEqual({ status: 200, feed: { status: 'up', state: expect.stringMatching(/^(synced|stale)$/) } });
        rounds += 1;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(rounds).toBeGreaterThan(3);

      // Past the window: not ready, logged, and the staleness is a gauge.
      for (const app of verifiers()) {
        expect(await eventually(async () => (await ready(app)).status === 503, 5_000), `${app.name} not ready past the window`).toBe(true);
        expect(await ready(app)).toEqual({ status: 503, feed: { status: 'down', state: 'stale' } });
        // The window runs from the last complete pull, at most a poll period (and a pull) before the halt.
        expect(Date.now() - haltStarted).toBeGreaterThanOrEqual(MAX_STALENESS_SECONDS * 1000 - 2 * POLL_MS);
        expect(await metric(app, /^trustline_revocation_feed_staleness_seconds (\S+)$/m)).toBeGreaterThan(MAX_STALENESS_SECONDS - 1);
        expect(await metric(app, /^trustline_revocation_feed_pulls_total\{outcome="unreachable"\} (\S+)$/m)).toBeGreaterThan(0);
        expect(app.output()).toMatch(
          /auth server unreachable for the revocation feed \(fetch failed: ECONNREFUSED\): serving on the revocation state of \d+ s ago; not ready past 4 s/,
        );
        expect(await eventually(async () => /revocation state \d+ s old, past the maximum of 4 s: not ready/.test(app.output()), 2_000)).toBe(true);
      }
    } finally {
      await system.auth.restart();
    }

    // Back: it catches up first (a revocation recorded now is applied everywhere) and is ready again.
    expect(await revokeAsPortal(system.issuer, user, 'access_token')).toBe(200);
    for (const app of verifiers()) {
      expect(await eventually(async () => (await ready(app)).status === 200, 10_000), `${app.name} ready again`).toBe(true);
    }
    expect(await eventually(async () => (await call(system.gateway.url, 'GET', '/api/accounts/me', user)).status === 401, 5_000)).toBe(true);
    expect((await call(system.services.accounts.url, 'GET', '/api/accounts/me', user)).status).toBe(401);
    // (A pull during the auth server's own start-up may have been refused first: either is the last failure.)
    expect(await eventually(async () => /revocation feed caught up again after \d+ s without a complete pull \((unreachable|refused);/.test(system.gateway.output()), 2_000)).toBe(
      true,
    );
  });
});

describe('the feed refused', () => {
  it('turns the verifier not ready within a few poll periods when its client is cut off, logs and counts it; a new replica with the same credentials is never ready', async () => {
    const loans = system.services.loans;
    const cli = (args: string[]) => system.auth.runAsync('cli.js', args);
    await cli(['clients:update', 'loans-service', JSON.stringify({ enabled: false })]);
    await cli(['clients:revoke-tokens', 'loans-service']);
    const cutAt = Date.now();
    let replica: RunningProcess | undefined;
    try {
      expect(await eventually(async () => (await ready(loans)).status === 503, 10_000)).toBe(true);
      // Bound: the revocation reaches the auth server's own denylist (≤ 1 s), then 3 poll periods (at least 1 s).
      expect(Date.now() - cutAt).toBeLessThan(1_000 + Math.max(1_000, 3 * POLL_MS) + 2_000);
      expect(await ready(loans)).toEqual({ status: 503, feed: { status: 'down', state: 'refused' } });
      expect(await metric(loans, /^trustline_revocation_feed_pulls_total\{outcome="refused"\} (\S+)$/m)).toBeGreaterThan(0);
      expect(loans.output()).toMatch(/revocation feed refused \((feed answered 401|token request answered 401 invalid_client)\)/);
      // Logged on the poll period after readiness turned false.
      expect(await eventually(async () => /revocation feed refused for more than 1 s: not ready/.test(loans.output()), 2_000)).toBe(true);
      expect(loans.output()).not.toContain('loans-service-secret');
      expect(loans.output()).not.toMatch(/Bearer ey|Basic [A-Za-z0-9+/=]{8}/);
      // The others follow their own feeds and stay ready.
      for (const app of verifiers().filter((candidate) => candidate !== loans)) expect((await ready(app)).status, app.name).toBe(200);

      // A new replica with the refused credentials: it starts (keys load: JWKS is public) but is never ready.
      replica = await startApp({
        name: 'loans',
        env: {
          ISSUER_URL: system.issuer,
          REVOCATION_POLL_MS: String(POLL_MS),
          CLIENT_ID: 'loans-service',
          CLIENT_SECRET: 'loans-service-secret',
          ...(system.nats ? { NATS_URL: system.nats.url } : {}),
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const fresh = await call(replica.url, 'GET', '/health/ready');
      expect(fresh.status).toBe(503);
      expect((fresh.body as { details: Record<string, unknown> }).details).toMatchObject({
        signing_keys: { status: 'up' },
        revocation_feed: { status: 'down', state: 'catching_up' },
      });
    } finally {
      await replica?.stop();
      await cli(['clients:update', 'loans-service', JSON.stringify({ enabled: true })]);
    }
  });
});
