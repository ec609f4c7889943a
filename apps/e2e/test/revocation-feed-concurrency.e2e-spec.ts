import { ClientCredentialsTokenClient, Denylist, RemoteKeyStore, RevocationFeed } from '@trustline/security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, clientCredentialsToken, decodeJwt, freePort, type RunningProcess, startApp, startAuthServer } from '../../../tools/testing/processes';
import { eventually } from './support/tokens';

/**
 * The revocation feed under concurrent writers (issue 15, item 4). On PostgreSQL ids from concurrent
 * transactions commit out of order: two auth server replicas (and each one's pool) record revocations
 * at once, and a reader that moves its cursor to the highest id it has seen skips an id that commits a
 * moment later, for ever. Two auth server processes on one database revoke hundreds of tokens at once
 * while verifiers pull: a real service (loans, pulling every 100 ms) and, to make the race as likely
 * as it gets, eight RevocationFeeds pulling back to back in this process, from either replica. Every revocation must end up
 * applied. PostgreSQL only: SQLite has one writer and commits in id order (the deterministic proof of
 * the look-back is revocation-feed.spec.ts, with a store that commits out of order).
 */
const TOKENS = 600;
const PULLERS = 8;

describe.runIf(process.env.TEST_PG_ADMIN_URL)('two auth server processes revoking at once on one PostgreSQL database', () => {
  let first: RunningProcess & { issuer: string };
  let second: RunningProcess;
  let loans: RunningProcess;

  beforeAll(async () => {
    first = await startAuthServer();
    // The second replica: the same database and issuer, its own port.
    const port = await freePort();
    second = await startApp({
      name: 'auth-server',
      port,
      database: false,
      env: { ISSUER_URL: first.issuer, PUBLIC_GATEWAY_URL: String(first.env.PUBLIC_GATEWAY_URL), DATABASE_URL: String(first.env.DATABASE_URL) },
    });
    loans = await startApp({
      name: 'loans',
      env: { ISSUER_URL: first.issuer, AUTH_INTERNAL_URL: first.url, CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret', REVOCATION_POLL_MS: '100' },
    });
  });

  afterAll(async () => {
    await loans?.stop();
    await second?.stop();
    await first?.stop();
  });

  it('every revocation reaches the verifiers, however the commits interleave', async () => {
    const tokens: string[] = [];
    for (let batch = 0; batch < TOKENS; batch += 20) {
      tokens.push(...(await Promise.all(Array.from({ length: 20 }, () => clientCredentialsToken(first.issuer, 'demo-cli', 'urn:trustline:loans', 'loans:read')))));
    }
    // Verifiers in this process, pulling back to back from either replica (each one a chance to skip).
    const feeds = Array.from({ length: PULLERS }, (_, index) => {
      const base = index % 2 ? second.url : first.url;
      const tokensClient = new ClientCredentialsTokenClient({ issuer: first.issuer, authInternalUrl: base, clientId: 'gateway', clientSecret: 'gateway-secret' });
      const denylist = new Denylist();
      const keys = new RemoteKeyStore({ issuer: first.issuer, authInternalUrl: base, algorithms: ['ES256'], refreshMinIntervalMs: 0 });
      return { denylist, feed: new RevocationFeed({ authInternalUrl: base, pollMs: 1000, tokens: tokensClient, denylist, keys, fetch }) };
    });
    await Promise.all(feeds.map(({ feed }) => feed.catchUp()));
    let pulling = true;
    const pullers = feeds.map(({ feed }) =>
      (async () => {
        while (pulling) await feed.catchUp().catch(() => undefined);
      })(),
    );

    // Half the revocations on each replica, 16 at a time on each.
    const revoke = (base: string, token: string) =>
      fetch(`${base}/token/revocation`, { method: 'POST', headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret') }, body: new URLSearchParams({ token }) });
    const lanes = Array.from({ length: 32 }, (_, lane) =>
      (async () => {
        for (let index = lane; index < tokens.length; index += 32) expect((await revoke(lane % 2 ? second.url : first.url, tokens[index])).status).toBe(200);
      })(),
    );
    await Promise.all(lanes);
    // Both verifiers have had time to read the last commits (and then some pulls).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    pulling = false;
    await Promise.all(pullers);

    const jtis = tokens.map((token) => String(decodeJwt(token).payload.jti));
    const missed = feeds.map(({ denylist }) => jtis.filter((jti) => !denylist.isRevoked({ jti })).length);
    expect(missed, 'revocations each in-process verifier never applied').toEqual(feeds.map(() => 0));

    const accepted: number[] = [];
    expect(
      await eventually(async () => {
        accepted.length = 0;
        for (let index = 0; index < tokens.length; index += 1) {
          const answer = await fetch(`${loans.url}/api/loans/me`, { headers: { authorization: `Bearer ${tokens[index]}` } });
          await answer.body?.cancel();
          if (answer.status !== 401) accepted.push(index);
        }
        return accepted.length === 0;
      }, 2_000),
      `loans still accepts ${accepted.length} revoked tokens`,
    ).toBe(true);
  });
});
