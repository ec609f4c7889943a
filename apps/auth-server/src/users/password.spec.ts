import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password';

describe('user passwords', () => {
  it('are stored as argon2id hashes', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(hash).not.toContain('correct horse');
  });

  it('verify the right password only', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword(hash, 'correct horse')).toBe(true);
    expect(await verifyPassword(hash, 'wrong horse')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('fail for an unknown user without skipping the work', async () => {
    expect(await verifyPassword(undefined, 'anything')).toBe(false);
  });

  it('fail closed on a corrupt hash', async () => {
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
  });
});
