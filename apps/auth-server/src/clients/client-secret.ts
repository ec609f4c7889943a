import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes = 256 bits of entropy, base64url: 43 characters. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Client secrets are random and high-entropy, so a fast digest is enough: nobody can brute-force
 * 2^256, and a slow hash (argon2, bcrypt) would cap the token endpoint at a few hundred grants/s.
 */
export function digestClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Constant-time check of a presented secret against the stored digest. Digests have a fixed length,
 * so comparing them leaks neither the secret's length nor a prefix.
 */
export function clientSecretMatches(presented: unknown, storedDigest: string | null | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || !storedDigest) return false;
  const expected = Buffer.from(storedDigest, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
