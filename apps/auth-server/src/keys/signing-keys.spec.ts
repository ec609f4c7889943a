import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, jwkThumbprint } from './signing-keys.service';

describe('signing key generation', () => {
  it('makes an ES256 key whose kid is its RFC 7638 thumbprint', () => {
    const key = generateSigningKey();
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: key.kid });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(key.kid).toEqual(jwkThumbprint(key.publicJwk));
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('pairs the private and public halves', () => {
    const key = generateSigningKey();
    const data = Buffer.from('payload');
    const signature = sign('sha256', data, createPrivateKey({ key: key.privateJwk as never, format: 'jwk' }));
    expect(verify('sha256', data, createPublicKey({ key: key.publicJwk as never, format: 'jwk' }), signature)).toBe(true);
  });

  it('computes the RFC 7638 example thumbprint shape deterministically', () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: 'ignored', alg: 'ignored' };
    expect(jwkThumbprint(jwk)).toEqual(jwkThumbprint({ ...jwk, kid: 'other' }));
  });
});
