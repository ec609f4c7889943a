import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '../security.options';
import { Denylist } from './denylist';

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
