import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const INFO = 'trustline signing-key encryption v1';

function deriveKey(secret: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), salt, INFO, 32));
}

/**
 * Seals a private JWK for storage: AES-256-GCM under a key derived (HKDF-SHA256, random salt per
 * record) from KEY_ENCRYPTION_SECRET. The kid is bound as associated data, so a sealed key cannot be
 * swapped onto another row unnoticed. Without a secret the JWK is stored as plain JSON.
 */
export function sealPrivateJwk(jwk: object, kid: string, secret: string | undefined): string {
  const plaintext = JSON.stringify(jwk);
  if (!secret) return plaintext;
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, salt, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export class KeyDecryptionError extends Error {
  constructor(kid: string, reason: string) {
    super(`signing key ${kid} cannot be opened: ${reason}`);
    this.name = 'KeyDecryptionError';
  }
}

export function openPrivateJwk(stored: string, kid: string, secret: string | undefined): Record<string, unknown> {
  if (stored.startsWith('{')) return JSON.parse(stored) as Record<string, unknown>;
  const [version, salt, iv, tag, ciphertext] = stored.split('.');
  if (version !== VERSION || !salt || !iv || !tag || !ciphertext) throw new KeyDecryptionError(kid, 'unknown storage format');
  if (!secret) throw new KeyDecryptionError(kid, 'it is encrypted and KEY_ENCRYPTION_SECRET is not set');
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, Buffer.from(salt, 'base64url')), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return JSON.parse(plaintext.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new KeyDecryptionError(kid, 'wrong KEY_ENCRYPTION_SECRET or tampered record');
  }
}
