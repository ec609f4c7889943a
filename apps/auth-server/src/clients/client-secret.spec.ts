import { describe, expect, it } from 'vitest';
import { clientSecretMatches, digestClientSecret, generateClientSecret } from './client-secret';

describe('client secrets', () => {
  it('generates at least 256 bits of randomness, never the same twice', () => {
    const a = generateClientSecret();
    const b = generateClientSecret();
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toEqual(b);
  });

  it('stores a SHA-256 digest, not the secret', () => {
    const secret = generateClientSecret();
    const digest = digestClientSecret(secret);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toContain(secret);
  });

  it('accepts the right secret only', () => {
    const digest = digestClientSecret('right-secret');
    expect(clientSecretMatches('right-secret', digest)).toBe(true);
    expect(clientSecretMatches('wrong-secret', digest)).toBe(false);
    expect(clientSecretMatches('right-secret ', digest)).toBe(false);
  });

  it('refuses empty, non-string, very long secrets and the digest itself', () => {
    const digest = digestClientSecret('right-secret');
    expect(clientSecretMatches('', digest)).toBe(false);
    expect(clientSecretMatches(undefined, digest)).toBe(false);
    expect(clientSecretMatches(42, digest)).toBe(false);
    expect(clientSecretMatches('x'.repeat(1_000_000), digest)).toBe(false);
    expect(clientSecretMatches(digest, digest)).toBe(false);
  });

  it('refuses every secret when the client has no stored digest', () => {
    expect(clientSecretMatches('anything', null)).toBe(false);
  });
});
