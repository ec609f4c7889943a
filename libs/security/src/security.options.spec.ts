import { describe, expect, it } from 'vitest';
import { resolveSecurityOptions } from './security.options';

describe('resolveSecurityOptions (fail closed at boot)', () => {
  const base = { issuer: 'http://localhost:9000', audience: 'urn:trustline:accounts' };

  it('refuses revocation-feed settings that would never be ready or never poll', () => {
    for (const revocationFeed of [{ maxStalenessSeconds: 0 }, { maxStalenessSeconds: 1.5 }, { pollMs: 0 }, { refusedGraceMs: -1 }, { lookbackMs: -1 }]) {
      expect(() => resolveSecurityOptions({ ...base, revocationFeed }), JSON.stringify(revocationFeed)).toThrow(/revocationFeed\./);
    }
    expect(() => resolveSecurityOptions({ ...base, revocationFeed: { pollMs: 250, maxStalenessSeconds: 4, lookbackMs: 0 } })).not.toThrow();
  });

  it('fills safe defaults', () => {
    expect(resolveSecurityOptions(base)).toMatchObject({
      algorithms: ['ES256'],
      clockToleranceSeconds: 30,
      maxTokenBytes: 8192,
      authInternalUrl: 'http://localhost:9000',
      globalGuard: true,
    });
  });

  it.each([
    ['no issuer', { ...base, issuer: undefined }],
    ['a non-URL issuer', { ...base, issuer: 'localhost' }],
    ['no audience', { ...base, audience: '' }],
    ['alg none', { ...base, algorithms: ['none'] }],
    ['HS256', { ...base, algorithms: ['HS256'] }],
    ['unbounded clock skew', { ...base, clockToleranceSeconds: 3600 }],
  ])('refuses %s with a TypeError', (_name, options) => {
    expect(() => resolveSecurityOptions(options as never)).toThrow(TypeError);
  });
});
