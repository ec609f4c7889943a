import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
