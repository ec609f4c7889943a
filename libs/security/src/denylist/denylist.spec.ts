import { describe, expect, it } from 'vitest';
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

  it('forgets a grant entry past its exp', () => {
    const denylist = new Denylist();
    denylist.add({ type: 'grant', value: 'g1', at: now() - 400, exp: now() - 1 });
    expect(denylist.isRevoked({ gid: 'g1', iat: now() })).toBe(false);
  });
});
