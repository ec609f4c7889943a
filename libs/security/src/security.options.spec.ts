import { describe, expect, it } from 'vitest';
import { resolveSecurityOptions } from './security.options';

describe('resolveSecurityOptions (fail closed at boot)', () => {
  const base = { issuer: 'http://localhost:9000', audience: 'urn:trustline:accounts' };

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
