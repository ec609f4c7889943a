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

/**
 * A controllable auth server: its revocation table (ids drawn in order, committed in any order), and
 * what it answers the token request and the feed with.
 */
function controlledAuth() {
  const rows: { id: number; entry: RevocationEntry; committed: boolean }[] = [];
  const state = { token: 'ok' as 'ok' | 'down' | 401 | 429, feed: 'ok' as 'ok' | 'down' | 403 | 503, pageSize: 1000, requests: [] as number[] };
  const fetchImpl = (async (input: string | URL) => {
    const url = new URL(String(input));
    if (url.pathname === '/.well-known/openid-configuration') return Response.json({ issuer: AUTH, token_endpoint: `${AUTH}/token` });
    if (url.pathname === '/token') {
      if (state.token === 'down') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      if (state.token === 401) return Response.json({ error: 'invalid_client' }, { status: 401 });
      if (state.token === 429) return Response.json({ error: 'invalid_client' }, { status: 429, headers: { 'retry-after': '300' } });
      return Response.json({ access_token: 'feed-token-secret-value', expires_in: 300 });
    }
    if (state.feed === 'down') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (state.feed !== 'ok') return Response.json({ error: 'nope' }, { status: state.feed });
    const since = Number(url.searchParams.get('since'));
    state.requests.push(since);
    // As the server reads PostgreSQL: what has committed, above the cursor, in id order.
    const page = rows.filter((row) => row.committed && row.id > since).slice(0, state.pageSize);
    const live = page.filter((row) => row.entry.exp >= now());
    return Response.json({ entries: live.map((row) => row.entry), cursor: page.length ? page[page.length - 1].id : since });
  }) as typeof fetch;
  const draw = (value: string, exp = now() + 300) => {
    const row = { id: rows.length + 1, entry: { type: 'jti' as const, value, at: now(), exp }, committed: false };
    rows.push(row);
    return { commit: () => (row.committed = true) };
  };
  return { rows, state, fetchImpl, draw, revoke: (value: string, exp?: number) => draw(value, exp).commit() };
}

function controlledFeed(auth: ReturnType<typeof controlledAuth>, extra: Partial<ConstructorParameters<typeof RevocationFeed>[0]> = {}) {
  const clock = { now: Date.now() };
  const logs: { level: string; message: string }[] = [];
  const pulls: string[] = [];
  const staleness: number[] = [];
  const denylist = new Denylist();
  const keys = new RemoteKeyStore({ issuer: AUTH, authInternalUrl: AUTH, algorithms: ['ES256'], refreshMinIntervalMs: 0, fetch: auth.fetchImpl });
  const tokens = new ClientCredentialsTokenClient({
    issuer: AUTH,
    clientId: 'svc',
    clientSecret: 'client-secret-value',
    fetch: auth.fetchImpl,
    retryBaseMs: 1,
    attempts: 2,
    retryAfterCapMs: 0,
  });
  const feed = new RevocationFeed({
    authInternalUrl: AUTH,
    pollMs: 1000,
    tokens,
    denylist,
    keys,
    fetch: auth.fetchImpl,
    clock: () => clock.now,
    maxStalenessMs: 60_000,
    logger: {
      log: (message) => logs.push({ level: 'log', message }),
      warn: (message) => logs.push({ level: 'warn', message }),
      error: (message) => logs.push({ level: 'error', message }),
    },
    observer: { pull: (outcome) => pulls.push(outcome), staleness: (seconds) => staleness.push(seconds) },
    ...extra,
  });
  return { feed, denylist, tokens, clock, logs, pulls, staleness, advance: (ms: number) => (clock.now += ms) };
}

describe('RevocationFeed: catching up', () => {
  it('keeps paging while the cursor advances, past pages whose rows have all expired', async () => {
    const auth = controlledAuth();
    auth.state.pageSize = 2;
    for (let i = 0; i < 4; i += 1) auth.revoke(`expired-${i}`, now() - 10);
    auth.revoke('live');
    const { feed, denylist } = controlledFeed(auth);
    await feed.catchUp();
    expect(denylist.isRevoked({ jti: 'live' })).toBe(true);
    expect(feed.synced).toBe(true);
  });

  it('stops when the server says there is no more', async () => {
    const auth = controlledAuth();
    auth.revoke('one');
    let asked = 0;
    const once = (async (input: string | URL, init?: RequestInit) => {
      if (new URL(String(input)).pathname !== '/revocations') return auth.fetchImpl(input, init);
      asked += 1;
      return Response.json({ entries: [{ type: 'jti', value: 'one', at: now(), exp: now() + 60 }], cursor: 1, more: false });
    }) as typeof fetch;
    const { feed } = controlledFeed(auth, { fetch: once });
    await feed.catchUp();
    expect(asked).toBe(1);
  });
});

describe('RevocationFeed: ids that commit out of order (PostgreSQL, concurrent writers)', () => {
  it('applies a revocation whose id committed after a higher one had been read', async () => {
    const auth = controlledAuth();
    auth.revoke('first');
    const slow = auth.draw('slow'); // id 2, its transaction still open
    auth.revoke('fast'); // id 3 commits first
    const { feed, denylist, advance } = controlledFeed(auth, { lookbackMs: 10_000 });
    await feed.catchUp();
    expect(denylist.isRevoked({ jti: 'fast' })).toBe(true);
    expect(denylist.isRevoked({ jti: 'slow' })).toBe(false);
    slow.commit();
    advance(1_000);
    await feed.catchUp();
    expect(denylist.isRevoked({ jti: 'slow' })).toBe(true);
  });

  it('re-reads only the look-back window: once it has passed, the cursor moves on', async () => {
    const auth = controlledAuth();
    auth.revoke('a');
    auth.revoke('b');
    const { feed, advance } = controlledFeed(auth, { lookbackMs: 5_000 });
    await feed.catchUp();
    advance(6_000);
    await feed.catchUp(); // began past the window: ids up to 2 are safe from now on
    auth.revoke('c');
    await feed.catchUp();
    expect(auth.state.requests).toEqual([0, 2, 0, 2, 2, 3]);
  });

  it('loses none of many revocations committed in random order while it pulls', async () => {
    const auth = controlledAuth();
    const { feed, denylist, advance } = controlledFeed(auth, { lookbackMs: 2_000 });
    // Each revocation's transaction commits up to 1.5 s after drawing its id (within the 2 s look-back),
    // so a higher id often commits first; the verifier pulls in between.
    const open: { commitAt: number; commit(): void }[] = [];
    for (let step = 0; step < 500; step += 1) {
      open.push({ commitAt: step + Math.floor(Math.random() * 30), ...auth.draw(`t${step}`) });
      for (const pending of open.filter((candidate) => candidate.commitAt <= step)) {
        pending.commit();
        open.splice(open.indexOf(pending), 1);
      }
      if (step % 3 === 0) await feed.catchUp();
      advance(50);
    }
    for (const pending of open) pending.commit();
    await feed.catchUp();
    expect(auth.rows.filter((row) => !denylist.isRevoked({ jti: row.entry.value })).map((row) => row.entry.value)).toEqual([]);
  });
});

describe('RevocationFeed: readiness', () => {
  it('a new replica is not ready until its first complete catch-up', async () => {
    const auth = controlledAuth();
    auth.state.feed = 'down';
    const { feed } = controlledFeed(auth);
    expect(feed.status()).toMatchObject({ ready: false, state: 'catching_up' });
    await expect(feed.catchUp()).rejects.toThrow();
    expect(feed.status()).toMatchObject({ ready: false, state: 'catching_up' });
    auth.state.feed = 'ok';
    await feed.catchUp();
    expect(feed.status()).toEqual({ ready: true, state: 'synced', stalenessSeconds: 0 });
  });

  it('auth server unreachable: serves on its last state, counts the staleness, not ready only past the maximum', async () => {
    const auth = controlledAuth();
    auth.revoke('before');
    const { feed, denylist, advance, logs, pulls, staleness } = controlledFeed(auth, { maxStalenessMs: 60_000 });
    await feed.catchUp();
    auth.state.feed = 'down';
    auth.state.token = 'down';
    advance(30_000);
    await expect(feed.catchUp()).rejects.toThrow();
    expect(feed.status()).toEqual({ ready: true, state: 'stale', stalenessSeconds: 30 });
    expect(denylist.isRevoked({ jti: 'before' })).toBe(true);
    expect(logs).toContainEqual({ level: 'warn', message: expect.stringMatching(/^auth server unreachable .*ECONNREFUSED.*30 s ago; not ready past 60 s$/) });
    advance(31_000);
    await expect(feed.catchUp()).rejects.toThrow();
    expect(feed.status()).toMatchObject({ ready: false, state: 'stale', stalenessSeconds: 61 });
    expect(logs.filter((line) => line.level === 'error').map((line) => line.message)).toEqual(['revocation state 61 s old, past the maximum of 60 s: not ready']);
    expect(pulls).toEqual(['ok', 'unreachable', 'unreachable']);
    expect(staleness.at(-1)).toBe(61);
    // Back: it reads everything revoked meanwhile before it says ready again.
    auth.state.feed = 'ok';
    auth.state.token = 'ok';
    auth.revoke('during');
    await feed.catchUp();
    expect(denylist.isRevoked({ jti: 'during' })).toBe(true);
    expect(feed.status()).toEqual({ ready: true, state: 'synced', stalenessSeconds: 0 });
    expect(logs.at(-1)?.message).toMatch(/^revocation feed caught up again after 61 s without a complete pull \(unreachable;/);
  });

  for (const [name, refuse] of [
    ['its token request answers 401', (auth: ReturnType<typeof controlledAuth>) => (auth.state.token = 401)],
    ['its token request answers 429 (locked out)', (auth: ReturnType<typeof controlledAuth>) => (auth.state.token = 429)],
    ['the feed answers 403', (auth: ReturnType<typeof controlledAuth>) => (auth.state.feed = 403)],
  ] as const) {
    it(`refused (${name}): fails closed after a few poll periods, logged without secrets, counted`, async () => {
      const auth = controlledAuth();
      const { feed, tokens, advance, logs, pulls } = controlledFeed(auth, { pollMs: 1000 });
      await feed.catchUp();
      refuse(auth);
      tokens.invalidate('urn:trustline:auth', ['revocations:read']);
      await expect(feed.catchUp()).rejects.toThrow();
      expect(feed.status()).toMatchObject({ ready: true, state: 'refused' });
      advance(2_000);
      await expect(feed.catchUp()).rejects.toThrow();
      expect(feed.status().ready).toBe(true);
      advance(1_000);
      expect(feed.status()).toMatchObject({ ready: false, state: 'refused' });
      await expect(feed.catchUp()).rejects.toThrow();
      expect(pulls).toEqual(['ok', 'refused', 'refused', 'refused']);
      expect(logs.map((line) => line.message)).toContainEqual(expect.stringMatching(/^revocation feed refused \((token request|feed) answered (401|429|403)/));
      expect(logs.map((line) => line.message)).toContain('revocation feed refused for more than 3 s: not ready');
      expect(JSON.stringify(logs)).not.toMatch(/feed-token-secret-value|client-secret-value|Bearer|Basic/);
      // Let in again: ready again.
      auth.state.token = 'ok';
      auth.state.feed = 'ok';
      await feed.catchUp();
      expect(feed.status()).toMatchObject({ ready: true, state: 'synced' });
    });
  }
});

async function eventually(probe: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

describe('RevocationFeed: polling while refused', () => {
  it('backs off exponentially (so a cut-off client cannot trip the auth server limits by itself) and polls at its own pace again once let in', async () => {
    const auth = controlledAuth();
    let tokenRequests = 0;
    const counting = (async (input: string | URL, init?: RequestInit) => {
      if (new URL(String(input)).pathname === '/token') tokenRequests += 1;
      return auth.fetchImpl(input, init);
    }) as typeof fetch;
    const tokens = new ClientCredentialsTokenClient({ issuer: AUTH, clientId: 'svc', clientSecret: 's', fetch: counting, attempts: 1 });
    const { feed } = controlledFeed(auth, { pollMs: 20, fetch: counting, tokens, clock: Date.now });
    await feed.catchUp();
    auth.state.token = 401;
    tokens.invalidate('urn:trustline:auth', ['revocations:read']);
    const before = tokenRequests;
    feed.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      // Every 20 ms would be ~35 requests; backing off 20, 40, 80, 160, 320 ms: about 5.
      expect(tokenRequests - before).toBeGreaterThanOrEqual(3);
      expect(tokenRequests - before).toBeLessThanOrEqual(7);
      auth.state.token = 'ok';
      expect(await eventually(() => feed.status().state === 'synced', 1_000)).toBe(true);
      const pulls = auth.state.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(auth.state.requests.length - pulls).toBeGreaterThanOrEqual(5);
    } finally {
      feed.stop();
    }
  });
});
