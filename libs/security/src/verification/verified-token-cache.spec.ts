import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Denylist } from '../denylist/denylist';
import { RemoteKeyStore } from '../keys/remote-key-store';
import { TestIssuer } from '../testing';
import { principalFromClaims } from './token-checks';
import { VerifiedTokenCache } from './verified-token-cache';

let issuer: TestIssuer;
let keys: RemoteKeyStore;
beforeEach(async () => {
  issuer = await new TestIssuer().start();
  keys = new RemoteKeyStore({ issuer: issuer.issuer, authInternalUrl: issuer.issuer, algorithms: ['ES256'], refreshMinIntervalMs: 0, fetch });
  await keys.start();
});
afterEach(async () => {
  keys.stop();
  await issuer.stop();
});

const now = () => Math.floor(Date.now() / 1000);
/** A principal as the verifier caches it; a forger with a leaked key picks any `exp`. */
const principal = (jti: string, exp = now() + 3600) =>
  principalFromClaims({ sub: 'mallory', client_id: 'forger', jti, iat: now(), exp, scope: 'accounts:read' }, ['urn:trustline:accounts'], 30);

describe('VerifiedTokenCache and key trust', () => {
  it('serves a hit only while the key that signed it is trusted: a key gone from JWKS is a miss, whatever exp says', async () => {
    const denylist = new Denylist(30);
    const cache = new VerifiedTokenCache(100, denylist, keys, 60);
    const leaked = issuer.addKey();
    await keys.refresh();
    cache.set('token-a', principal('a'), leaked.kid);
    expect(cache.get('token-a')).toBeDefined();

    // Emergency rollover, long enough ago that the key's denylist entry has expired.
    denylist.add({ type: 'kid', value: leaked.kid, at: now() - 3600, exp: now() - 3000 });
    issuer.removeKey(leaked.kid);
    await keys.refresh();
    expect(keys.trusts(leaked.kid)).toBe(false);
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('clears every entry a revoked key signed at once, and nothing else', async () => {
    const cache = new VerifiedTokenCache(100, new Denylist(30), keys, 60);
    const other = issuer.addKey();
    await keys.refresh();
    cache.set('leaked-1', principal('1'), issuer.kid);
    cache.set('leaked-2', principal('2'), issuer.kid);
    cache.set('other', principal('3'), other.kid);
    expect(cache.size).toBe(3);
    keys.dropKey(issuer.kid);
    expect(cache.size).toBe(1);
    expect(cache.get('leaked-1')).toBeUndefined();
    expect(cache.get('leaked-2')).toBeUndefined();
    expect(cache.get('other')).toBeDefined();
  });

  it('never stores a verification for a key that is no longer trusted', () => {
    const cache = new VerifiedTokenCache(100, new Denylist(30), keys, 60);
    keys.dropKey(issuer.kid);
    cache.set('late', principal('late'), issuer.kid);
    expect(cache.size).toBe(0);
    expect(cache.get('late')).toBeUndefined();
  });

  // Whichever comes first ends the entry: the maximum age (a forged exp can be years away) or the exp.
  it.each([
    ['the maximum age, whatever the token says', 86_400, 60],
    ['the token exp when that comes first', 10, 10],
  ])('never serves an entry past %s', (_case, lifetime, servedFor) => {
    const cache = new VerifiedTokenCache(100, new Denylist(30), keys, 60);
    const start = now();
    cache.set('token', principal('token', start + lifetime), issuer.kid, start);
    expect(cache.get('token', start + servedFor - 1)).toBeDefined();
    expect(cache.get('token', start + servedFor)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps its kid index in step with LRU evictions', () => {
    const cache = new VerifiedTokenCache(2, new Denylist(30), keys, 60);
    for (const id of ['1', '2', '3', '4']) cache.set(id, principal(id), issuer.kid);
    expect(cache.size).toBe(2);
    expect(cache.indexedTokens).toBe(2);
    keys.dropKey(issuer.kid);
    expect(cache.size).toBe(0);
    expect(cache.indexedTokens).toBe(0);
  });
});
