import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '../security.options';
import { Denylist } from './denylist';

const now = () => Math.floor(Date.now() / 1000);

describe('Denylist', () => {
  it('refuses every token of a revoked grant, even one issued after the revocation (a refresh that raced its reuse)', () => {
    const denylist = new Denylist();
    denylist.add({ type: 'grant', value: 'g1', at: now() - 5, exp: now() + 300 });
    expect(denylist.isRevoked({ gid: 'g1', iat: now() - 10 })).toBe(true);
    expect(denylist.isRevoked({ gid: 'g1', iat: now() })).toBe(true);
    expect(denylist.isRevoked({ gid: 'g2', iat: now() - 10 })).toBe(false);
  });

  it('refuses tokens of a subject or client issued up to the revocation only (a later login works)', () => {
    const denylist = new Denylist();
    denylist.add({ type: 'sub', value: 'alice', at: now() - 5, exp: now() + 300 });
    denylist.add({ type: 'client', value: 'reports', at: now() - 5, exp: now() + 300 });
    expect(denylist.isRevoked({ sub: 'alice', iat: now() - 10 })).toBe(true);
    expect(denylist.isRevoked({ sub: 'alice', iat: now() })).toBe(false);
    expect(denylist.isRevoked({ client_id: 'reports', iat: now() - 5 })).toBe(true);
    expect(denylist.isRevoked({ client_id: 'reports', iat: now() })).toBe(false);
  });

  it('forgets a grant entry past its exp plus the clock tolerance', () => {
    const denylist = new Denylist();
    denylist.add({ type: 'grant', value: 'g1', at: now() - 400, exp: now() - MAX_CLOCK_TOLERANCE_SECONDS - 1 });
    expect(denylist.isRevoked({ gid: 'g1', iat: now() })).toBe(false);
  });
});

const exp = 1_000_000;
const token = { jti: 'token-1', sub: 'alice', client_id: 'portal', iat: exp - 300, kid: 'key-1' };

describe('Denylist and clock skew', () => {
  // A verifier accepts a token until exp + its clock tolerance (RFC 7519 §4.1.4 "some small leeway"),
  // so a revocation must be honoured for exactly as long.
  it('refuses a token revoked by jti until its exp plus the clock tolerance, and forgets it after', () => {
    const denylist = new Denylist(30);
    denylist.add({ type: 'jti', value: 'token-1', at: exp - 100, exp });
    expect(denylist.isRevoked(token, exp)).toBe(true);
    expect(denylist.isRevoked(token, exp + 30 - 1)).toBe(true);
    expect(denylist.isRevoked(token, exp + 30)).toBe(true);
    expect(denylist.isRevoked(token, exp + 31)).toBe(false);
  });

  it('keeps subject, client, grant and key entries through the same skew', () => {
    for (const type of ['sub', 'client', 'kid'] as const) {
      const denylist = new Denylist(30);
      denylist.add({ type, value: { sub: 'alice', client: 'portal', kid: 'key-1' }[type], at: exp - 100, exp });
      expect(denylist.isRevoked(token, exp + 29), type).toBe(true);
    }
  });

  it('does not prune an entry while a token it refuses could still be accepted', () => {
    const denylist = new Denylist(30);
    denylist.add({ type: 'jti', value: 'token-1', at: exp - 100, exp });
    denylist.prune(exp + 29);
    expect(denylist.size).toBe(1);
    expect(denylist.isRevoked(token, exp + 29)).toBe(true);
    denylist.prune(exp + 31);
    expect(denylist.size).toBe(0);
  });

  it('defaults to the largest tolerance any verifier may configure', () => {
    const denylist = new Denylist();
    denylist.add({ type: 'jti', value: 'token-1', at: exp - 100, exp });
    expect(denylist.isRevoked(token, exp + MAX_CLOCK_TOLERANCE_SECONDS - 1)).toBe(true);
    expect(() => new Denylist(MAX_CLOCK_TOLERANCE_SECONDS + 1)).toThrow(RangeError);
  });
});
