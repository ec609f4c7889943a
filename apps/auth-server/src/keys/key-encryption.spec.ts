import { describe, expect, it } from 'vitest';
import { KeyDecryptionError, openPrivateJwk, sealPrivateJwk } from './key-encryption';

const jwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private-part' };
const secret = 'a-key-encryption-secret-of-at-least-32-chars';

describe('private key sealing', () => {
  it('does not store the private part in plain text when a secret is configured', () => {
    const sealed = sealPrivateJwk(jwk, 'kid-1', secret);
    expect(sealed).not.toContain('private-part');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(openPrivateJwk(sealed, 'kid-1', secret)).toEqual(jwk);
  });

  it('uses a fresh salt and IV each time', () => {
    expect(sealPrivateJwk(jwk, 'kid-1', secret)).not.toEqual(sealPrivateJwk(jwk, 'kid-1', secret));
  });

  it('refuses a wrong secret, another kid and a tampered record', () => {
    const sealed = sealPrivateJwk(jwk, 'kid-1', secret);
    expect(() => openPrivateJwk(sealed, 'kid-1', `${secret}-other`)).toThrow(KeyDecryptionError);
    expect(() => openPrivateJwk(sealed, 'kid-2', secret)).toThrow(KeyDecryptionError);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => openPrivateJwk(parts.join('.'), 'kid-1', secret)).toThrow(KeyDecryptionError);
    expect(() => openPrivateJwk(sealed, 'kid-1', undefined)).toThrow(/KEY_ENCRYPTION_SECRET/);
  });

  it('stores plain JSON only when no secret is configured', () => {
    expect(openPrivateJwk(sealPrivateJwk(jwk, 'kid-1', undefined), 'kid-1', undefined)).toEqual(jwk);
  });
});
