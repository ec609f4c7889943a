import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { basicAuth, clientCredentialsToken, decodeJwt, type RunningProcess, startAuthServer } from '../../../tools/testing/processes';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { AUDIENCES, call, type RunningSystem, startSystem } from './support/system';
import { nowSeconds, shortLifetimes, sleep } from './support/lifetimes';
import { eventually } from './support/tokens';

/**
 * How long a revocation holds. A verifier accepts a token until its `exp` plus its clock tolerance
 * (RFC 7519 §4.1.4 leeway), so a token revoked with RFC 7009 must stay refused through exp + skew, not
 * come back for the last seconds of the window; and a subject revocation must cover the longest token
 * ever issued, even after ACCESS_TOKEN_TTL was lowered. Short TTL and tolerance via the environment keep
 * the whole window a few seconds long.
 */
const TTL_SECONDS = 2;
const TOLERANCE_SECONDS = 3;

describe('an RFC 7009 revocation through the verifiers clock skew', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ env: shortLifetimes(TTL_SECONDS, TOLERANCE_SECONDS) });
  });
  afterAll(async () => system?.stop());

  it('stays refused at the gateway and the service from the revocation until exp + tolerance, and after', async () => {
    const token = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.accounts, 'accounts:read');
    const exp = Number(decodeJwt(token).payload.exp);
    const hops = [system.gateway.url, system.services.accounts.url];
    // Verified once (and cached) at every hop before it is revoked.
    for (const base of hops) expect((await call(base, 'GET', '/api/accounts/me', token)).status).toBe(200);

    const revoked = await fetch(`${system.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(revoked.status).toBe(200);
    for (const base of hops) expect(await eventually(async () => (await call(base, 'GET', '/api/accounts/me', token)).status === 401, 5_000, 50)).toBe(true);

    // Every answer from now until well past exp + tolerance is a refusal: none is 200.
    const answers: string[] = [];
    while (nowSeconds() <= exp + TOLERANCE_SECONDS + 1) {
      for (const base of hops) {
        const answer = await call(base, 'GET', '/api/accounts/me', token);
        answers.push(`${answer.status} at exp${nowSeconds() - exp >= 0 ? '+' : ''}${nowSeconds() - exp}`);
        if (answer.status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      }
      await sleep(200);
    }
    expect(answers.filter((answer) => !answer.startsWith('401'))).toEqual([]);
    // The window really was crossed: answers were taken inside exp..exp+tolerance.
    expect(answers.some((answer) => answer.endsWith(`exp+${TOLERANCE_SECONDS - 1}`))).toBe(true);
  });
});

describe('a subject revocation after ACCESS_TOKEN_TTL was lowered', () => {
  let auth: RunningProcess & { issuer: string };
  const REDIRECT_URI = 'http://127.0.0.1:18080/callback';
  beforeAll(async () => {
    auth = await startAuthServer({ ACCESS_TOKEN_TTL: '600' });
  });
  afterAll(async () => auth?.stop());

  it('keeps the entry as long as the older, longer token can be accepted, not the new TTL', async () => {
    const alice = await loginUser({ issuer: auth.issuer, redirectUri: REDIRECT_URI, username: 'alice', password: 'alice-demo-password', resources: [AUDIENCES.accounts] });
    const long = decodeJwt(alice.accessTokens[AUDIENCES.accounts]).payload as { sub: string; exp: number };
    expect(long.exp - nowSeconds()).toBeGreaterThan(500);

    // The operator lowers the lifetime and restarts (same database, same issuer): restart() relaunches with this env.
    (auth.env as Record<string, string>).ACCESS_TOKEN_TTL = String(TTL_SECONDS);
    await auth.restart();
    const admin = await loginUser({
      issuer: auth.issuer,
      redirectUri: REDIRECT_URI,
      username: 'admin',
      password: 'admin-demo-password',
      resources: ['urn:trustline:auth'],
      scope: 'openid admin',
    });
    const adminToken = admin.accessTokens['urn:trustline:auth'];
    expect(Number(decodeJwt(adminToken).payload.exp) - nowSeconds()).toBeLessThanOrEqual(TTL_SECONDS);
    expect((await call(auth.issuer, 'POST', `/admin/users/${long.sub}/logout`, adminToken)).status).toBe(200);

    // What every verifier receives: the entry outlives the 600 s token plus the largest allowed skew.
    const reader = await clientCredentialsToken(auth.issuer, 'loans-service', 'urn:trustline:auth', 'revocations:read', 'loans-service-secret');
    const feed = await call(auth.issuer, 'GET', '/revocations?since=0', reader);
    expect(feed.status).toBe(200);
    const entry = (feed.body as { entries: { type: string; value: string; exp: number }[] }).entries.find((candidate) => candidate.type === 'sub' && candidate.value === long.sub);
    expect(entry, 'no sub entry in the feed').toBeDefined();
    expect(entry!.exp).toBeGreaterThanOrEqual(long.exp + MAX_CLOCK_TOLERANCE_SECONDS);
  });
});
