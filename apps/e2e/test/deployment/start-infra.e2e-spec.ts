import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraTopology } from '../../../../tools/scripts/infra-topology.mjs';
import { loginUser, type UserLogin } from '../../../../tools/testing/pkce-login.mjs';
import { type RunningProcess, startApp, WORKSPACE } from '../../../../tools/testing/processes';
import { AUDIENCES, call, SERVICES } from '../support/system';
import { eventually, revokeAsPortal } from '../support/tokens';

/**
 * `npm run start:infra` runs the compose topology as plain processes: each app gets exactly the variables
 * docker-compose.yml sets, host names rewritten to this machine's PostgreSQL, NATS and Redis. This test
 * starts that same topology (ports shifted, databases prefixed) and walks the system through it. It needs
 * the machine's servers: the infra profile (`npm run test:infra`).
 */
describe.runIf(process.env.TEST_PROFILE === 'infra')('the compose topology on this machine (start:infra)', () => {
  const running: RunningProcess[] = [];
  const offset = 20_000 + Math.floor(Math.random() * 900);
  const topology = infraTopology({
    workspace: WORKSPACE,
    portOffset: offset,
    databasePrefix: `${process.env.TEST_DB_PREFIX}_`,
    pgUrl: process.env.TEST_PG_ADMIN_URL,
    redisUrl: process.env.TEST_REDIS_URL,
    natsUrl: 'nats://127.0.0.1:4222',
  });
  const app = (name: string) => running.find((candidate) => candidate.name === name)!;
  const envOf = (name: string) => topology.apps.find((candidate) => candidate.name === name)!.env;
  let alice: UserLogin;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await admin.connect();
    for (const database of topology.databases) await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    for (const { name, port, env } of topology.apps) running.push(await startApp({ name, port, env, database: false }));
    alice = await loginUser({
      issuer: envOf('auth-server').ISSUER_URL,
      redirectUri: `${envOf('gateway').PUBLIC_GATEWAY_URL}/callback`,
      username: 'alice',
      password: 'alice-demo-password',
      resources: SERVICES.map((service) => AUDIENCES[service]),
    });
  });

  afterAll(async () => {
    for (const process of running.reverse()) await process.stop();
    const admin = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await admin.connect();
    for (const database of topology.databases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('starts every app with the compose variables, each ready (database, keys, broker)', async () => {
    for (const { name } of topology.apps) {
      const ready = await call(app(name).url, 'GET', '/health/ready');
      expect(ready.status, name).toBe(200);
    }
    // compose's own NATS user for accounts, on this machine's broker (which ignores it: no authorization there).
    expect(envOf('accounts')).toMatchObject({ NATS_URL: 'nats://accounts:trustline-demo-nats-accounts@127.0.0.1:4222', CLIENT_ID: 'accounts-service' });
  });

  it('serves a signed-in user through the gateway, with customer details over HTTP and NATS', async () => {
    const token = alice.accessTokens[AUDIENCES.accounts];
    const cardsOf = async () => {
      const details = await call(app('gateway').url, 'GET', `/api/accounts/customers/${alice.subject}/details`, token);
      expect(details.status).toBe(200);
      return (details.body as { cards: { id: string }[] }).cards.map((card) => card.id);
    };
    const before = await cardsOf(); // her demo card(s)
    expect((await call(app('gateway').url, 'POST', '/api/accounts', token, { name: 'Infra', currency: 'EUR', balance: 100 })).status).toBe(201);
    const card = await call(app('gateway').url, 'POST', '/api/cards', alice.accessTokens[AUDIENCES.cards], { limit: 500, currency: 'EUR' });
    expect(card.status).toBe(201);
    expect(await cardsOf()).toEqual([...before, (card.body as { id: string }).id]);
  });

  it('refuses forged and foreign tokens at every hop, and propagates a revocation over NATS', async () => {
    for (const service of SERVICES) {
      for (const base of [app('gateway').url, app(service).url])
        expect((await call(base, 'GET', `/api/${service}/me`, `${alice.accessTokens[AUDIENCES[service]].slice(0, -4)}AAAA`)).status).toBe(401);
    }
    expect(await revokeAsPortal(envOf('auth-server').ISSUER_URL, alice.refreshToken, 'refresh_token')).toBe(200);
    for (const service of SERVICES) {
      for (const base of [app('gateway').url, app(service).url]) {
        expect(await eventually(async () => (await call(base, 'GET', `/api/${service}/me`, alice.accessTokens[AUDIENCES[service]])).status === 401, 5_000, 50)).toBe(true);
      }
    }
  });
});
