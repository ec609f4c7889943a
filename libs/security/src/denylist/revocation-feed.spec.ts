import { describe, expect, it } from 'vitest';
import { RemoteKeyStore } from '../keys/remote-key-store';
import { ClientCredentialsTokenClient } from '../m2m/client-credentials-token-client';
import { Denylist, type RevocationEntry } from './denylist';
import { RevocationFeed } from './revocation-feed';

const AUTH = 'http://auth.test';
const now = () => Math.floor(Date.now() / 1000);

function fakeAuth(pages: RevocationEntry[][]) {
  const seen: { since: string | null; authorization: string | null }[] = [];
  const all = pages.flat();
  const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.pathname === '/.well-known/openid-configuration') return Response.json({ issuer: AUTH, token_endpoint: `${AUTH}/token` });
    if (url.pathname === '/token') return Response.json({ access_token: 'feed-token', expires_in: 300 });
    const headers = new Headers(init?.headers);
    seen.push({ since: url.searchParams.get('since'), authorization: headers.get('authorization') });
    const since = Number(url.searchParams.get('since') ?? 0);
    const entries = all.slice(since, since + 2);
    return Response.json({ entries, cursor: since + entries.length });
  }) as typeof fetch;
  return { seen, fetchImpl };
}

function feedWith(pages: RevocationEntry[][]) {
  const auth = fakeAuth(pages);
  const denylist = new Denylist();
  const keys = new RemoteKeyStore({ issuer: AUTH, authInternalUrl: AUTH, algorithms: ['ES256'], refreshMinIntervalMs: 0, fetch: auth.fetchImpl });
  const tokens = new ClientCredentialsTokenClient({ issuer: AUTH, clientId: 'svc', clientSecret: 'secret', fetch: auth.fetchImpl });
  const feed = new RevocationFeed({ authInternalUrl: AUTH, pollMs: 1000, tokens, denylist, keys, fetch: auth.fetchImpl });
  return { feed, denylist, keys, auth };
}

describe('RevocationFeed', () => {
  it('catches up through every page with its own bearer token and applies each entry', async () => {
    const entries: RevocationEntry[] = [
      { type: 'jti', value: 'j1', at: now(), exp: now() + 300 },
      { type: 'grant', value: 'g1', at: now(), exp: now() + 300 },
      { type: 'sub', value: 'alice', at: now(), exp: now() + 300 },
    ];
    const { feed, denylist, auth } = feedWith([entries]);
    await feed.catchUp();
    expect(feed.synced).toBe(true);
    expect(auth.seen.map((request) => request.since)).toEqual(['0', '2', '3']);
    expect(auth.seen.every((request) => request.authorization === 'Bearer feed-token')).toBe(true);
    expect(denylist.isRevoked({ jti: 'j1' })).toBe(true);
    expect(denylist.isRevoked({ gid: 'g1', iat: now() - 10 })).toBe(true);
    expect(denylist.isRevoked({ sub: 'alice', iat: now() - 10 })).toBe(true);
    expect(denylist.isRevoked({ sub: 'bob', iat: now() - 10 })).toBe(false);
  });

  it('drops a revoked signing key at once', async () => {
    const { feed, keys } = feedWith([]);
    feed.apply({ type: 'kid', value: 'compromised', at: now(), exp: now() + 300 });
    await expect(keys.keyFor('compromised')).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
  });

  it('ignores malformed entries', () => {
    const { feed, denylist } = feedWith([]);
    for (const entry of [null, {}, { type: 'everything', value: 'x', at: 1, exp: 2 }, { type: 'jti', value: 5, at: 1, exp: 2 }]) feed.apply(entry);
    expect(denylist.size).toBe(0);
  });
});
