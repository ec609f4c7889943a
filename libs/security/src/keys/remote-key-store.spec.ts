import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { TestIssuer } from '../testing';
import { RemoteKeyStore } from './remote-key-store';

let issuer: TestIssuer;
beforeEach(async () => {
  issuer = await new TestIssuer().start();
});
afterEach(async () => {
  await issuer.stop();
});

const store = (overrides: Partial<ConstructorParameters<typeof RemoteKeyStore>[0]> = {}) =>
  new RemoteKeyStore({ issuer: issuer.issuer, authInternalUrl: issuer.issuer, algorithms: ['ES256'], refreshMinIntervalMs: 0, fetch, ...overrides });

describe('RemoteKeyStore', () => {
  it('loads the JWKS through discovery and serves keys without further requests', async () => {
    const keys = store();
    await keys.start();
    const requests = issuer.jwksRequests;
    for (let i = 0; i < 100; i += 1) await keys.keyFor(issuer.kid);
    expect(issuer.jwksRequests).toBe(requests);
  });

  it('learns a rotated key on first sight of its kid', async () => {
    const keys = store();
    await keys.start();
    const next = issuer.addKey();
    await expect(keys.keyFor(next.kid)).resolves.toBeDefined();
  });

  it('shares one refresh among concurrent unknown-kid lookups', async () => {
    const keys = store();
    await keys.start();
    const before = issuer.jwksRequests;
    await Promise.allSettled(Array.from({ length: 20 }, () => keys.keyFor('nope')));
    expect(issuer.jwksRequests - before).toBe(1);
  });

  it('keeps known keys when a refresh fails', async () => {
    const keys = store();
    await keys.start();
    issuer.available = false;
    await keys.refresh().catch(() => undefined);
    await expect(keys.keyFor(issuer.kid)).resolves.toBeDefined();
  });

  it('refuses a discovery document naming another issuer', async () => {
    const keys = store({ issuer: 'https://other.example' });
    await keys.start();
    expect(keys.ready).toBe(false);
    await expect(keys.keyFor(issuer.kid)).rejects.toMatchObject({ code: 'KEYS_UNAVAILABLE' });
  });

  it('drops a revoked key at once and never re-learns it', async () => {
    const keys = store();
    await keys.start();
    keys.dropKey(issuer.kid);
    await expect(keys.keyFor(issuer.kid)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
    await keys.refresh();
    await expect(keys.keyFor(issuer.kid)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
  });
});

describe('RemoteKeyStore when a new kid arrives right after a refresh', () => {
  it('waits for the next allowed refresh instead of refusing a freshly rotated key', async () => {
    const keys = store({ refreshMinIntervalMs: 300 });
    await keys.start();
    const rotated = issuer.addKey();
    const before = issuer.jwksRequests;
    await expect(keys.keyFor(rotated.kid)).resolves.toBeDefined();
    expect(issuer.jwksRequests - before).toBe(1);
  });

  it('still refuses at once when the next refresh is far away (a long interval is a deliberate choice)', async () => {
    const keys = store({ refreshMinIntervalMs: 60_000 });
    await keys.start();
    const before = issuer.jwksRequests;
    await expect(keys.keyFor('forged-kid')).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
    expect(issuer.jwksRequests).toBe(before);
  });
});

describe('RemoteKeyStore before its first successful load', () => {
  it('retries on the next lookup instead of waiting out the refresh interval', async () => {
    issuer.available = false;
    const keys = store({ refreshMinIntervalMs: 60_000 });
    await keys.start();
    expect(keys.ready).toBe(false);
    issuer.available = true;
    await expect(keys.keyFor(issuer.kid)).resolves.toBeDefined();
  });
});

describe('RemoteKeyStore and the algorithm a key was published for', () => {
  const jwkOf = (type: 'ec' | 'rsa', extra: Record<string, unknown>, curve = 'P-256') => {
    const { publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: curve }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), use: 'sig', ...extra };
  };
  /** An issuer serving exactly these JWKs (discovery, then JWKS). */
  const serving = (jwks: Record<string, unknown>[]) =>
    new RemoteKeyStore({
      issuer: 'https://issuer.example',
      authInternalUrl: 'https://issuer.example',
      algorithms: ['ES256', 'ES384', 'RS256', 'PS256'],
      refreshMinIntervalMs: 0,
      fetch: (async (url: string) =>
        new Response(JSON.stringify(url.endsWith('/jwks') ? { keys: jwks } : { issuer: 'https://issuer.example', jwks_uri: 'https://issuer.example/jwks' }), {
          headers: { 'content-type': 'application/json' },
        })) as typeof fetch,
    });

  // RFC 7517 §4.4 / RFC 8725 §3.1: a key published for one algorithm is used with that algorithm only.
  it('refuses a token claiming another alg than the JWK names (an RS256 key never verifies PS256)', async () => {
    const keys = serving([jwkOf('rsa', { kid: 'rsa', alg: 'RS256' })]);
    await keys.start();
    await expect(keys.keyFor('rsa', 'RS256')).resolves.toBeDefined();
    await expect(keys.keyFor('rsa', 'PS256')).rejects.toMatchObject({ code: 'ALGORITHM_NOT_ALLOWED' });
  });

  it('without an alg in the JWK, allows only the algorithms its key type and curve can serve', async () => {
    const keys = serving([jwkOf('ec', { kid: 'p256' }), jwkOf('ec', { kid: 'p384' }, 'P-384'), jwkOf('rsa', { kid: 'rsa' })]);
    await keys.start();
    await expect(keys.keyFor('p256', 'ES256')).resolves.toBeDefined();
    await expect(keys.keyFor('p256', 'ES384')).rejects.toMatchObject({ code: 'ALGORITHM_NOT_ALLOWED' });
    await expect(keys.keyFor('p256', 'RS256')).rejects.toMatchObject({ code: 'ALGORITHM_NOT_ALLOWED' });
    await expect(keys.keyFor('p384', 'ES384')).resolves.toBeDefined();
    await expect(keys.keyFor('p384', 'ES256')).rejects.toMatchObject({ code: 'ALGORITHM_NOT_ALLOWED' });
    await expect(keys.keyFor('rsa', 'RS256')).resolves.toBeDefined();
    await expect(keys.keyFor('rsa', 'PS256')).resolves.toBeDefined();
    await expect(keys.keyFor('rsa', 'ES256')).rejects.toMatchObject({ code: 'ALGORITHM_NOT_ALLOWED' });
  });

  it('skips a JWK whose alg contradicts its key type or curve', async () => {
    const keys = serving([
      jwkOf('ec', { kid: 'wrong-curve', alg: 'ES256' }, 'P-384'),
      jwkOf('rsa', { kid: 'rsa-as-ec', alg: 'ES256' }),
      jwkOf('ec', { kid: 'good', alg: 'ES256' }),
    ]);
    await keys.start();
    expect(keys.kids).toEqual(['good']);
  });
});
