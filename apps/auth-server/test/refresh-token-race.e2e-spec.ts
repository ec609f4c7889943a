import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { type RunningProcess, startApp } from '../../../tools/testing/processes';
import { basicAuth, type RunningAuthServer, startAuthServer } from './support/auth-server-process';

/**
 * Refresh-token rotation under concurrency (RFC 9700 §4.14.2): a refresh token is used once. When the
 * same one is presented several times at once, exactly one request wins; every other one is reuse, and
 * reuse revokes the grant, so the winner's new refresh token and access tokens die too. Against one
 * server (SQLite serialises its writes in the process, PostgreSQL does not) and against two servers on
 * one PostgreSQL database (infra profile), where nothing but the database can decide.
 */
const REDIRECT_URI = 'http://127.0.0.1:18080/callback';
const RESOURCE = 'urn:trustline:accounts';
const CONCURRENT = 10;

let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer();
});

afterAll(async () => server?.stop());

const refresh = (issuer: string, refreshToken: string) =>
  fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'portal', refresh_token: refreshToken, resource: RESOURCE }),
  });

/** Introspection by the accounts resource server's own client (RFC 7662). */
async function introspect(issuer: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basicAuth('accounts-service', 'accounts-service-secret') },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Presents one refresh token CONCURRENT times at once, spread over `issuers`; checks the outcome. */
async function raceOneRefreshToken(issuers: string[]) {
  const alice = await loginUser({ issuer: server.issuer, redirectUri: REDIRECT_URI, username: 'alice', password: 'alice-demo-password', resources: [RESOURCE] });
  expect(await introspect(server.issuer, alice.accessTokens[RESOURCE])).toMatchObject({ active: true });

  const answers = await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, index) => {
      const response = await refresh(issuers[index % issuers.length], alice.refreshToken);
      return { status: response.status, body: (await response.json()) as { error?: string; access_token?: string; refresh_token?: string } };
    }),
  );
  const winners = answers.filter((answer) => answer.status === 200);
  const losers = answers.filter((answer) => answer.status !== 200);
  expect(winners.length).toBe(1);
  expect(losers.map((answer) => [answer.status, answer.body.error])).toEqual(Array.from({ length: CONCURRENT - 1 }, () => [400, 'invalid_grant']));

  // Reuse revoked the grant: the winner's rotated refresh token is refused …
  const [winner] = winners;
  for (const issuer of issuers) {
    const again = await refresh(issuer, winner.body.refresh_token!);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  }
  // … and so are its access token and the one issued at login, on every replica.
  for (const issuer of issuers) {
    await expect.poll(() => introspect(issuer, winner.body.access_token!), { timeout: 5_000, interval: 100 }).toEqual({ active: false });
    await expect.poll(() => introspect(issuer, alice.accessTokens[RESOURCE]), { timeout: 5_000, interval: 100 }).toEqual({ active: false });
  }
}

describe('concurrent refreshes with one refresh token', () => {
  it(`against one auth server: exactly one of ${CONCURRENT} wins, the rest are reuse and revoke the grant`, async () => {
    await raceOneRefreshToken([server.issuer]);
  });

  describe.runIf(process.env.TEST_PG_ADMIN_URL)('against two auth server replicas on one PostgreSQL database', () => {
    let replica: RunningProcess;

    beforeAll(async () => {
      // The same database, issuer and key encryption secret: a second replica behind the same name.
      const { PORT: _port, METRICS_PORT: _metrics, ...shared } = server.env;
      replica = await startApp({ name: 'auth-server', database: false, env: shared as Record<string, string> });
    });

    afterAll(async () => replica?.stop());

    it(`exactly one of ${CONCURRENT} wins, the rest are reuse and revoke the grant on both`, async () => {
      await raceOneRefreshToken([server.issuer, replica.url]);
    });
  });
});
