import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAuthServer, serverSql, startAuthServer } from './support/auth-server-process';

let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer({ PURGE_INTERVAL_SECONDS: '1' });
});

afterAll(async () => {
  await server?.stop();
});

const sql = (text: string) => serverSql(server, text);

const until = async (probe: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
};

describe('the scheduled expiry purge', () => {
  it('deletes expired revocations, engine rows and interactions on its schedule, and nothing live', async () => {
    const now = Math.floor(Date.now() / 1000);
    // Kept until `exp` plus the largest skew a verifier allows (60 s): only the first is past that.
    await sql(
      `INSERT INTO revocations (type, value, at, exp) VALUES ('jti', 'purge-expired', ${now - 600}, ${now - 120}), ('jti', 'purge-in-skew', ${now - 600}, ${now - 10}), ('jti', 'purge-live', ${now}, ${now + 3600})`,
    );
    await sql(
      `INSERT INTO oidc_payloads (model, id, payload, expires_at) VALUES ('Interaction', 'purge-old-interaction', '{}', ${now - 5}), ('Session', 'purge-old-session', '{}', ${now - 5}),` +
        ` ('Interaction', 'purge-live-interaction', '{}', ${now + 3600}), ('Grant', 'purge-no-expiry', '{}', NULL)`,
    );
    // An anonymous GET /auth leaves an interaction row: it has an expiry, so the purge will take it in time.
    const authorize = await fetch(
      `${server.issuer}/auth?client_id=portal&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:18080/callback')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
      { redirect: 'manual' },
    );
    expect(authorize.status).toBe(303);
    const interactions = await sql("SELECT expires_at FROM oidc_payloads WHERE model = 'Interaction' AND id NOT LIKE 'purge-%'");
    expect(interactions.length).toBe(1);
    expect(Number(interactions[0].expires_at)).toBeGreaterThan(now);

    const gone = await until(async () => (await sql("SELECT id FROM oidc_payloads WHERE id IN ('purge-old-interaction', 'purge-old-session')")).length === 0);
    expect(gone).toBe(true);
    expect(await until(async () => (await sql("SELECT id FROM revocations WHERE value = 'purge-expired'")).length === 0)).toBe(true);
    expect((await sql("SELECT value FROM revocations WHERE value LIKE 'purge-%' ORDER BY value")).map((row) => row.value)).toEqual(['purge-in-skew', 'purge-live']);
    expect((await sql("SELECT id FROM oidc_payloads WHERE id LIKE 'purge-%' ORDER BY id")).map((row) => row.id)).toEqual(['purge-live-interaction', 'purge-no-expiry']);
    expect((await sql("SELECT id FROM oidc_payloads WHERE model = 'Interaction' AND id NOT LIKE 'purge-%'")).length).toBe(1);

    const metrics = await (await fetch(server.metricsUrl())).text();
    expect(metrics).toMatch(/^trustline_expired_rows_purged_total\{table="oidc_payloads"\} [2-9]/m);
    expect(metrics).toMatch(/^trustline_expired_rows_purged_total\{table="revocations"\} [1-9]/m);
  });
});
