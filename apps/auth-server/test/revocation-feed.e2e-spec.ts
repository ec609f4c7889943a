import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken } from '../../../tools/testing/processes';
import { basicAuth, type RunningAuthServer, serverSql, startAuthServer } from './support/auth-server-process';

let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer();
});

afterAll(async () => {
  await server?.stop();
});

const feed = (token: string | undefined, since?: number) =>
  fetch(`${server.issuer}/revocations${since === undefined ? '' : `?since=${since}`}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the revocation feed', () => {
  it('lists revoked tokens after a cursor for a verifier with revocations:read on the auth audience', async () => {
    const reader = await clientCredentialsToken(server.issuer, 'gateway', 'urn:trustline:auth', 'revocations:read');
    const start = (await (await feed(reader)).json()) as { cursor: number };

    const victim = await clientCredentialsToken(server.issuer, 'demo-cli', 'urn:trustline:accounts', 'accounts:read');
    const revoked = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret') },
      body: new URLSearchParams({ token: victim }),
    });
    expect(revoked.status).toBe(200);

    const response = await feed(reader, start.cursor);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { entries: { type: string; value: string; at: number; exp: number }[]; cursor: number };
    const { jti, exp } = JSON.parse(Buffer.from(victim.split('.')[1], 'base64url').toString()) as { jti: string; exp: number };
    // Kept past the token's exp by the largest clock skew a verifier may allow (it accepts the token that long).
    expect(page.entries).toEqual([{ type: 'jti', value: jti, at: expect.any(Number), exp: exp + MAX_CLOCK_TOLERANCE_SECONDS }]);
    expect(page.cursor).toBeGreaterThan(start.cursor);

    const after = (await (await feed(reader, page.cursor)).json()) as { entries: unknown[]; cursor: number };
    expect(after).toEqual({ entries: [], cursor: page.cursor, more: false });
  });

  it('refuses callers without a token, with another audience, or without the scope', async () => {
    const none = await feed(undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');

    const accountsToken = await clientCredentialsToken(server.issuer, 'demo-cli', 'urn:trustline:accounts', 'accounts:read');
    const wrongAudience = await feed(accountsToken);
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('never answers an empty page while live entries follow: expired rows are filtered before paging', async () => {
    const reader = await clientCredentialsToken(server.issuer, 'gateway', 'urn:trustline:auth', 'revocations:read');
    const start = (await (await feed(reader)).json()) as { cursor: number };
    const now = Math.floor(Date.now() / 1000);
    // More than a page (1000) of long-expired rows, then one live entry.
    for (let batch = 0; batch < 3; batch += 1) {
      const rows = Array.from({ length: 400 }, (_, index) => `('jti', 'expired-${batch}-${index}', ${now - 7200}, ${now - 3600})`);
      await serverSql(server, `INSERT INTO revocations (type, value, at, exp) VALUES ${rows.join(', ')}`);
    }
    await serverSql(server, `INSERT INTO revocations (type, value, at, exp) VALUES ('jti', 'live-after-expired', ${now}, ${now + 300})`);
    const page = (await (await feed(reader, start.cursor)).json()) as { entries: { value: string }[]; cursor: number; more: boolean };
    expect(page.entries.map((entry) => entry.value)).toEqual(['live-after-expired']);
    expect(page.more).toBe(false);
  });

  it('answers a bad cursor with 400', async () => {
    const reader = await clientCredentialsToken(server.issuer, 'loans-service', 'urn:trustline:auth', 'revocations:read');
    for (const since of ['-1', 'abc', '1e400']) {
      const response = await fetch(`${server.issuer}/revocations?since=${since}`, { headers: { authorization: `Bearer ${reader}` } });
      expect(response.status).toBe(400);
    }
  });
});
