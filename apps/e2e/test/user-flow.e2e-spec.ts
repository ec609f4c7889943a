import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser, type UserLogin } from '../../../tools/testing/pkce-login.mjs';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from './support/system';

let system: RunningSystem;
let alice: UserLogin;
let bob: UserLogin;

const allAudiences = SERVICES.map((service) => AUDIENCES[service]);
const login = (username: string) =>
  loginUser({ issuer: system.issuer, redirectUri: system.portalRedirectUri, username, password: `${username}-demo-password`, resources: allAudiences });

beforeAll(async () => {
  system = await startSystem();
  alice = await login('alice');
  bob = await login('bob');
});

afterAll(async () => system?.stop());

describe('a signed-in user through the gateway', () => {
  it.each(SERVICES)("reaches %s with that service's token and is seen there as herself", async (service) => {
    const answer = await call(system.gateway.url, 'GET', `/api/${service}/me`, alice.accessTokens[AUDIENCES[service]]);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'user', subject: alice.subject, clientId: 'portal', audience: AUDIENCES[service], roles: ['customer'] });
  });

  it.each(SERVICES)('has her %s token refused by every other service, through the gateway and directly', async (service) => {
    const token = alice.accessTokens[AUDIENCES[service]];
    for (const other of SERVICES.filter((candidate) => candidate !== service)) {
      expect((await call(system.gateway.url, 'GET', `/api/${other}/me`, token)).status, `gateway /api/${other}`).toBe(401);
      expect((await call(system.services[other].url, 'GET', `/api/${other}/me`, token)).status, `${other} directly`).toBe(401);
    }
  });

  it('never gets an ID token accepted as an access token, anywhere', async () => {
    expect(alice.idToken).toBeDefined();
    for (const service of SERVICES) {
      for (const base of [system.gateway.url, system.services[service].url]) {
        const answer = await call(base, 'GET', `/api/${service}/me`, alice.idToken);
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      }
    }
  });
});

describe('own data only', () => {
  it('creates her own account, loan and card, and bob can neither list nor read them', async () => {
    // Bob has his own (demo) rows: what he lists must stay exactly that.
    const bobsBefore: Record<string, unknown> = {};
    for (const service of ['accounts', 'loans', 'cards'])
      bobsBefore[service] = (await call(system.gateway.url, 'GET', `/api/${service}`, bob.accessTokens[AUDIENCES[service]])).body;
    const account = await call(system.gateway.url, 'POST', '/api/accounts', alice.accessTokens[AUDIENCES.accounts], { name: 'Everyday', currency: 'EUR', balance: 10_000 });
    expect(account.status).toBe(201);
    expect(account.body).toMatchObject({ customerId: alice.subject, balance: 10_000 });
    const loan = await call(system.gateway.url, 'POST', '/api/loans', alice.accessTokens[AUDIENCES.loans], { amount: 50_000, currency: 'EUR' });
    expect(loan.status).toBe(201);
    const card = await call(system.gateway.url, 'POST', '/api/cards', alice.accessTokens[AUDIENCES.cards], { limit: 20_000, currency: 'EUR' });
    expect(card.status).toBe(201);

    const created = { accounts: account.body, loans: loan.body, cards: card.body } as Record<string, { id: string }>;
    for (const service of ['accounts', 'loans', 'cards']) {
      const bobsToken = bob.accessTokens[AUDIENCES[service]];
      const listed = await call(system.gateway.url, 'GET', `/api/${service}`, bobsToken);
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual(bobsBefore[service]);
      expect((listed.body as { customerId: string }[]).every((entry) => entry.customerId === bob.subject)).toBe(true);
      expect((await call(system.gateway.url, 'GET', `/api/${service}/${created[service].id}`, bobsToken)).status).toBe(404);
      expect((await call(system.gateway.url, 'GET', `/api/${service}?customerId=${alice.subject}`, bobsToken)).status).toBe(403);
      // ...while she still reads her own.
      expect((await call(system.gateway.url, 'GET', `/api/${service}/${created[service].id}`, alice.accessTokens[AUDIENCES[service]])).status).toBe(200);
    }
  });

  it("gathers her customer details from the three services, and refuses bob's details to her", async () => {
    const details = await call(system.gateway.url, 'GET', `/api/accounts/customers/${alice.subject}/details`, alice.accessTokens[AUDIENCES.accounts]);
    expect(details.status).toBe(200);
    const body = details.body as { customerId: string; accounts: { customerId: string }[]; loans: { customerId: string }[]; cards: { customerId: string }[] };
    expect(body.customerId).toBe(alice.subject);
    for (const kind of ['accounts', 'loans', 'cards'] as const) {
      expect(body[kind].length, kind).toBeGreaterThan(0);
      expect(
        body[kind].every((entry) => entry.customerId === alice.subject),
        kind,
      ).toBe(true);
    }
    const foreign = await call(system.gateway.url, 'GET', `/api/accounts/customers/${bob.subject}/details`, alice.accessTokens[AUDIENCES.accounts]);
    expect([403, 404]).toContain(foreign.status);
  });

  it('never writes a token to any log line', () => {
    const output = system.output();
    for (const user of [alice, bob]) {
      for (const token of [...Object.values(user.accessTokens), user.refreshToken, user.idToken ?? 'none']) expect(output).not.toContain(token);
    }
  });
});
