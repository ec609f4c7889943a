import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser, type UserLogin } from '../../../tools/testing/pkce-login.mjs';
import { basicAuth, clientCredentialsToken, natsServerBinary } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, type ServiceName, startSystem } from './support/system';
import { eventually, refreshGrant, revokeAsPortal } from './support/tokens';

/**
 * Every kind of revocation reaches the gateway and every service: one token (jti), a grant, all tokens
 * of a user (force logout), all tokens of a client, and a user's own sign-out. Twice: pulling the feed
 * every second (no broker), and with NATS events while the pull waits a full minute, which shows the
 * event path alone carries it. The time from the revoking call to refusal at each hop is printed.
 */
const profiles = [
  { name: 'without a broker (feed pulled every 1000 ms)', nats: false, pollMs: 1_000 },
  ...(natsServerBinary() ? [{ name: 'with NATS events (feed pull every 60 s as a safety net)', nats: true, pollMs: 60_000 }] : []),
];

describe.each(profiles)('revocation $name', ({ nats, pollMs }) => {
  let system: RunningSystem;
  let adminToken: string;
  const timings: { what: string; hop: string; ms: number }[] = [];

  beforeAll(async () => {
    system = await startSystem({ nats, revocationPollMs: pollMs });
    const admin = await loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username: 'admin',
      password: 'admin-demo-password',
      resources: ['urn:trustline:auth'],
      scope: 'openid admin',
    });
    adminToken = admin.accessTokens['urn:trustline:auth'];
  });

  afterAll(async () => {
    if (timings.length) {
      const worst = new Map<string, number>();
      for (const timing of timings) worst.set(timing.what, Math.max(worst.get(timing.what) ?? 0, timing.ms));
      console.log(
        `revocation ${nats ? 'with NATS' : `by pull every ${pollMs} ms`}: slowest hop per kind (ms from the revoking call): ${JSON.stringify(Object.fromEntries(worst))}`,
      );
    }
    await system?.stop();
  });

  const login = () =>
    loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username: 'alice',
      password: 'alice-demo-password',
      resources: SERVICES.map((service) => AUDIENCES[service]),
    });
  const hops = (service: ServiceName) => [
    { hop: `gateway /api/${service}`, base: system.gateway.url },
    { hop: service, base: system.services[service].url },
  ];

  /** Waits until every hop refuses each token, recording how long each took from `started`. */
  async function refusedEverywhere(what: string, started: number, tokens: { service: ServiceName; token: string }[]) {
    await Promise.all(
      tokens.flatMap(({ service, token }) =>
        hops(service).map(async ({ hop, base }) => {
          const refused = await eventually(async () => (await call(base, 'GET', `/api/${service}/me`, token)).status === 401, pollMs + 10_000, 20);
          expect(refused, `${hop} still accepts the token after ${what}`).toBe(true);
          timings.push({ what, hop, ms: Date.now() - started });
        }),
      ),
    );
  }

  const userTokens = (user: UserLogin) => SERVICES.map((service) => ({ service, token: user.accessTokens[AUDIENCES[service]] }));
  const acceptedEverywhere = async (tokens: { service: ServiceName; token: string }[]) => {
    for (const { service, token } of tokens) for (const { base } of hops(service)) expect((await call(base, 'GET', `/api/${service}/me`, token)).status).toBe(200);
  };
  /** `sub` and `client` entries refuse tokens issued up to the second of the revocation: wait for the next one. */
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1_100 - (Date.now() % 1000)));

  it('of one access token (RFC 7009)', async () => {
    const tokens = await Promise.all(
      SERVICES.map(async (service) => ({ service, token: await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES[service], `${service}:read`) })),
    );
    await acceptedEverywhere(tokens);
    const started = Date.now();
    for (const { token } of tokens) {
      const response = await fetch(`${system.issuer}/token/revocation`, {
        method: 'POST',
        headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret'), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      expect(response.status).toBe(200);
    }
    await refusedEverywhere('jti', started, tokens);
  });

  it('of a grant (its refresh token revoked)', async () => {
    const alice = await login();
    await acceptedEverywhere(userTokens(alice));
    const started = Date.now();
    expect(await revokeAsPortal(system.issuer, alice.refreshToken, 'refresh_token')).toBe(200);
    await refusedEverywhere('grant', started, userTokens(alice));
  });

  it("of every token of a user (an administrator's force logout); a new login works", async () => {
    const [first, second] = [await login(), await login()];
    await acceptedEverywhere([...userTokens(first), ...userTokens(second)]);
    const started = Date.now();
    const ended = await call(system.issuer, 'POST', `/admin/users/${first.subject}/logout`, adminToken);
    expect(ended.status).toBe(200);
    await refusedEverywhere('sub', started, [...userTokens(first), ...userTokens(second)]);
    expect((await refreshGrant(system.issuer, second.refreshToken, AUDIENCES.accounts)).body.error).toBe('invalid_grant');
    await nextSecond();
    await acceptedEverywhere(userTokens(await login()));
  });

  it('of every token of a client (operator command); a new token works', async () => {
    const tokens = await Promise.all(
      SERVICES.map(async (service) => ({ service, token: await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES[service], `${service}:read`) })),
    );
    await acceptedEverywhere(tokens);
    const started = Date.now();
    await system.auth.runAsync('cli.js', ['clients:revoke-tokens', 'demo-cli']);
    await refusedEverywhere('client', started, tokens);
    await nextSecond();
    await acceptedEverywhere([{ service: 'accounts', token: await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.accounts, 'accounts:read') }]);
  });

  it("of a user's session when they sign out: refresh token dead, access tokens refused everywhere", async () => {
    const alice = await login();
    await acceptedEverywhere(userTokens(alice));
    const started = Date.now();
    await alice.signOut();
    expect((await refreshGrant(system.issuer, alice.refreshToken, AUDIENCES.loans)).body.error).toBe('invalid_grant');
    await refusedEverywhere('logout', started, userTokens(alice));
  });
});
