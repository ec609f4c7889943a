import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { clientCredentialsToken, decodeJwt } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, type ServiceName, startSystem } from './support/system';
import { eventually } from './support/tokens';

/**
 * Signing keys in operation: two planned rotations while traffic flows through the gateway and straight
 * to the services (not one request may fail), then an emergency rollover of a compromised key (what it
 * signed stops working everywhere within seconds; a fresh key signs).
 */
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => system?.stop());

const kidOf = (token: string) => String(decodeJwt(token).header.kid);
const freshToken = (service: ServiceName) => clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES[service], `${service}:read`);
const hops = (service: ServiceName) => [system.gateway.url, system.services[service].url];

/** Until the auth server (which polls its key table every KEY_RELOAD_MS) signs with `kid`. */
const signingWith = (kid: string) => eventually(async () => kidOf(await freshToken('accounts')) === kid, 10_000, 200);

describe('planned rotation', () => {
  it('rotates twice under load with zero failed requests; tokens of every key keep verifying until they expire', async () => {
    const before = await freshToken('accounts');
    const failures: string[] = [];
    const kidsSeen = new Set<string>();
    let requests = 0;
    let running = true;

    // Four callers, each taking a new token every few requests (so new keys reach the verifiers while
    // they serve), calling through the gateway and directly.
    const caller = async (offset: number) => {
      for (let i = offset; running; i += 1) {
        const service = SERVICES[i % SERVICES.length];
        const token = await freshToken(service);
        kidsSeen.add(kidOf(token));
        for (let repeat = 0; repeat < 3; repeat += 1) {
          for (const base of hops(service)) {
            const status = (await call(base, 'GET', `/api/${service}/me`, token)).status;
            requests += 1;
            if (status !== 200) failures.push(`${status} from ${base === system.gateway.url ? 'gateway' : service} with kid ${kidOf(token)}`);
          }
        }
      }
    };
    const callers = [0, 1, 2, 3].map(caller);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // First rotation: the operator's command, from another process (the server notices within KEY_RELOAD_MS).
      const first = await system.auth.runAsync('cli.js', ['keys:rotate']);
      expect(await signingWith(String(first.activated))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      // Second rotation: an administrator through the admin API (takes effect in that process at once).
      const admin = await loginUser({
        issuer: system.issuer,
        redirectUri: system.portalRedirectUri,
        username: 'admin',
        password: 'admin-demo-password',
        resources: ['urn:trustline:auth'],
        scope: 'openid admin',
      });
      const adminToken = admin.accessTokens['urn:trustline:auth'];
      const rotated = await call(system.issuer, 'POST', '/admin/keys/rotate', adminToken);
      expect(rotated.status).toBe(200);
      const second = rotated.body as { activated: string; retired: string };
      expect(second.retired).toBe(first.activated);
      expect(await signingWith(second.activated)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      running = false;
      await Promise.allSettled(callers);
    }
    console.log(`key rotation under load: ${requests} requests, ${failures.length} failed, signing keys seen ${kidsSeen.size}`);
    expect(failures).toEqual([]);
    expect(kidsSeen.size).toBeGreaterThanOrEqual(3);

    // The token from before both rotations is still good everywhere: its key is retired, not gone.
    for (const base of hops('accounts')) expect((await call(base, 'GET', '/api/accounts/me', before)).status).toBe(200);
    // A customer cannot rotate keys.
    const alice = await loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username: 'alice',
      password: 'alice-demo-password',
      resources: [AUDIENCES.accounts],
    });
    expect((await call(system.issuer, 'POST', '/admin/keys/rotate', alice.accessTokens[AUDIENCES.accounts])).status).toBe(401);
  });
});

describe('emergency rollover', () => {
  it('withdraws a compromised key everywhere within seconds and signs with a fresh one', async () => {
    const compromised = await Promise.all(SERVICES.map(async (service) => ({ service, token: await freshToken(service) })));
    const kid = kidOf(compromised[0].token);
    for (const { service, token } of compromised) for (const base of hops(service)) expect((await call(base, 'GET', `/api/${service}/me`, token)).status).toBe(200);

    const started = Date.now();
    const revoked = await system.auth.runAsync('cli.js', ['keys:revoke', kid]);
    expect(revoked).toMatchObject({ revoked: kid, wasSigning: true });
    for (const { service, token } of compromised) {
      for (const base of hops(service)) {
        expect(await eventually(async () => (await call(base, 'GET', `/api/${service}/me`, token)).status === 401, 10_000), `${base} still accepts the revoked key`).toBe(true);
      }
    }
    console.log(`emergency rollover: every hop refused the revoked key's tokens ${Date.now() - started} ms after the command was started`);

    // The fresh key signs, and its tokens work everywhere (verifiers fetch it on first sight).
    expect(await signingWith(String(revoked.activated))).toBe(true);
    for (const service of SERVICES) {
      const token = await freshToken(service);
      expect(kidOf(token)).not.toBe(kid);
      for (const base of hops(service)) expect(await eventually(async () => (await call(base, 'GET', `/api/${service}/me`, token)).status === 200, 10_000)).toBe(true);
    }
    // And the revoked key is out of the published set.
    const jwks = (await (await fetch(`${system.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(kid);
  });
});
