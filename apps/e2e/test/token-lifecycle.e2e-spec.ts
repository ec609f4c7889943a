import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from './support/system';
import { eventually, refreshGrant, revokeAsPortal } from './support/tokens';

/**
 * Tokens over their life: rotation, reuse detection killing the whole grant at every hop, and revocation
 * honoured by the gateway and by each service on its own (they follow the auth server's revocation feed;
 * REVOCATION_POLL_MS is 250 ms in the harness).
 */
let system: RunningSystem;
const allAudiences = SERVICES.map((service) => AUDIENCES[service]);
const login = () => loginUser({ issuer: system.issuer, redirectUri: system.portalRedirectUri, username: 'alice', password: 'alice-demo-password', resources: allAudiences });

/** Every hop where `service`'s token is checked: the gateway route and the service itself. */
const hops = (service: (typeof SERVICES)[number]) => [
  { name: `gateway /api/${service}`, base: system.gateway.url },
  { name: `${service} directly`, base: system.services[service].url },
];

const statusAt = async (base: string, service: string, token: string) => (await call(base, 'GET', `/api/${service}/me`, token)).status;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => system?.stop());

describe('refresh tokens', () => {
  it('rotate on every use, and each new access token works at every hop', async () => {
    const session = await login();
    const first = await refreshGrant(system.issuer, session.refreshToken, AUDIENCES.loans);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(session.refreshToken);
    for (const hop of hops('loans')) expect(await statusAt(hop.base, 'loans', String(first.body.access_token)), hop.name).toBe(200);
  });

  it('when a rotated refresh token comes back, revoke the grant: its tokens stop working at every hop', async () => {
    const session = await login();
    for (const service of SERVICES) for (const hop of hops(service)) expect(await statusAt(hop.base, service, session.accessTokens[AUDIENCES[service]]), hop.name).toBe(200);

    const rotated = await refreshGrant(system.issuer, session.refreshToken, AUDIENCES.accounts);
    expect(rotated.status).toBe(200);
    // The old refresh token again: a thief (or a bug) replaying it. The grant dies.
    const replay = await refreshGrant(system.issuer, session.refreshToken, AUDIENCES.accounts);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await refreshGrant(system.issuer, String(rotated.body.refresh_token), AUDIENCES.accounts)).body.error).toBe('invalid_grant');

    // Every access token of the grant, the freshly rotated one included, is refused everywhere.
    const grantTokens = [
      ...SERVICES.map((service) => ({ service, token: session.accessTokens[AUDIENCES[service]] })),
      { service: 'accounts' as const, token: String(rotated.body.access_token) },
    ];
    for (const { service, token } of grantTokens) {
      for (const hop of hops(service)) {
        expect(await eventually(async () => (await statusAt(hop.base, service, token)) === 401), `${hop.name} still accepts a token of the revoked grant`).toBe(true);
      }
    }
  });

  it('a new login after the revocation works (the grant entry touches only the old grant)', async () => {
    const session = await login();
    for (const service of SERVICES) expect(await statusAt(system.gateway.url, service, session.accessTokens[AUDIENCES[service]])).toBe(200);
  });
});

describe('revocation (RFC 7009)', () => {
  it("of one access token is honoured by the gateway and the service; the grant's other tokens keep working", async () => {
    const session = await login();
    const accountsToken = session.accessTokens[AUDIENCES.accounts];
    expect(await revokeAsPortal(system.issuer, accountsToken, 'access_token')).toBe(200);
    for (const hop of hops('accounts')) {
      expect(await eventually(async () => (await statusAt(hop.base, 'accounts', accountsToken)) === 401), hop.name).toBe(true);
    }
    for (const hop of hops('loans')) expect(await statusAt(hop.base, 'loans', session.accessTokens[AUDIENCES.loans]), hop.name).toBe(200);
  });

  it('of a refresh token ends the grant at every hop', async () => {
    const session = await login();
    expect(await revokeAsPortal(system.issuer, session.refreshToken, 'refresh_token')).toBe(200);
    expect((await refreshGrant(system.issuer, session.refreshToken, AUDIENCES.cards)).body.error).toBe('invalid_grant');
    for (const service of SERVICES) {
      for (const hop of hops(service)) {
        expect(await eventually(async () => (await statusAt(hop.base, service, session.accessTokens[AUDIENCES[service]])) === 401), hop.name).toBe(true);
      }
    }
  });
});
