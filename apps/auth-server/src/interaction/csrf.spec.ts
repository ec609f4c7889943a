import { describe, expect, it } from 'vitest';
import { CsrfTokens } from './csrf';

describe('CsrfTokens', () => {
  const tokens = new CsrfTokens('server-key');

  it('verifies a token issued for the same interaction', () => {
    expect(tokens.verify('uid-1', tokens.issue('uid-1'))).toBe(true);
  });

  it('refuses a token of another interaction, another key, a missing or malformed one', () => {
    expect(tokens.verify('uid-2', tokens.issue('uid-1'))).toBe(false);
    expect(tokens.verify('uid-1', new CsrfTokens('other-key').issue('uid-1'))).toBe(false);
    expect(tokens.verify('uid-1', undefined)).toBe(false);
    expect(tokens.verify('uid-1', '')).toBe(false);
    expect(tokens.verify('uid-1', ['array'])).toBe(false);
  });
});
