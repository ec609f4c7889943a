import { randomUUID } from 'node:crypto';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken, decodeJwt } from '../../../tools/testing/processes';
import { issuerSigningKey, signJwt } from './support/issuer-key';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from './support/system';
import { nowSeconds, shortLifetimes, sleep } from './support/lifetimes';
import { eventually } from './support/tokens';

/**
 * A leaked signing key after an emergency rollover. The forger's tokens carry any `exp` they like (here
 * a day), and each was verified once, before the rollover, at every hop: the gateway, each service and
 * the auth server's admin API all hold it in their verified-token cache. The key's denylist entry lives
 * only as long as a token the key can legitimately have signed (the longest TTL plus the largest skew);
 * past it, a cache hit must still be refused, because the key is no longer trusted. Nothing presents the
 * forged tokens between the rollover and that moment (a refused hit would evict them and hide the bug):
 * other tokens of the same key show the rollover has reached every hop.
 *
 * Short ACCESS_TOKEN_TTL and clock tolerance keep the wait to the fixed skew bound (about a minute): the
 * horizon is real, not skipped.
 */
const TTL_SECONDS = 2;
const TOLERANCE_SECONDS = 1;

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({ env: shortLifetimes(TTL_SECONDS, TOLERANCE_SECONDS) });
});
afterAll(async () => system?.stop());

describe('emergency rollover and the verified-token cache', () => {
  it('refuses a forged token verified before the rollover at every hop, admin API included, after the key denylist entry has expired', { timeout: 150_000 }, async () => {
    const leaked = await issuerSigningKey(system.auth);
    const forge = (audience: string, scope: string) => {
      const now = nowSeconds();
      return signJwt(
        leaked.key,
        { typ: 'at+jwt', kid: leaked.kid },
        { iss: system.issuer, sub: 'demo-cli', client_id: 'demo-cli', aud: audience, scope, jti: randomUUID(), iat: now, exp: now + 86_400 },
      );
    };
    /** Every hop, each with the request it serves: the gateway and each service directly, and the admin API. */
    const hops = [
      ...SERVICES.flatMap((service) => [
        { name: `gateway → ${service}`, base: system.gateway.url, path: `/api/${service}/me`, audience: AUDIENCES[service], scope: `${service}:read` },
        { name: service, base: system.services[service].url, path: `/api/${service}/me`, audience: AUDIENCES[service], scope: `${service}:read` },
      ]),
      { name: 'auth /admin', base: system.issuer, path: '/admin/audit?limit=1', audience: 'urn:trustline:auth', scope: 'admin' },
    ];
    const cached = hops.map((hop) => ({ ...hop, token: forge(hop.audience, hop.scope) }));
    const probes = hops.map((hop) => ({ ...hop, token: forge(hop.audience, hop.scope) }));
    for (const hop of [...cached, ...probes]) expect((await call(hop.base, 'GET', hop.path, hop.token)).status, hop.name).toBe(200);

    const revoked = await system.auth.runAsync('cli.js', ['keys:revoke', leaked.kid]);
    expect(revoked).toMatchObject({ revoked: leaked.kid, wasSigning: true });
    for (const hop of probes) {
      expect(await eventually(async () => (await call(hop.base, 'GET', hop.path, hop.token)).status === 401, 10_000), `${hop.name} still accepts the leaked key`).toBe(true);
    }

    // The key's entry, as every verifier holds it: wait until no verifier keeps it any more.
    // (The auth server takes up to KEY_RELOAD_MS to notice a rollover made by the CLI; until then it still signs with the old key.)
    let reader = '';
    const readerToken = () => clientCredentialsToken(system.issuer, 'loans-service', 'urn:trustline:auth', 'revocations:read', 'loans-service-secret');
    expect(await eventually(async () => decodeJwt((reader = await readerToken())).header.kid !== leaked.kid, 10_000, 200)).toBe(true);
    const answer = await call(system.issuer, 'GET', '/revocations?since=0', reader);
    expect(answer.status).toBe(200);
    const feed = answer.body as { entries: { type: string; value: string; exp: number }[] };
    const entry = feed.entries.find((candidate) => candidate.type === 'kid' && candidate.value === leaked.kid);
    expect(entry, 'no kid entry in the feed').toBeDefined();
    expect(entry!.exp - nowSeconds()).toBeLessThanOrEqual(TTL_SECONDS + MAX_CLOCK_TOLERANCE_SECONDS + 1);
    while (nowSeconds() <= entry!.exp + TOLERANCE_SECONDS + 1) await sleep(500);

    const answers = await Promise.all(cached.map(async (hop) => `${hop.name}: ${(await call(hop.base, 'GET', hop.path, hop.token)).status}`));
    expect(answers).toEqual(cached.map((hop) => `${hop.name}: 401`));
  });
});
