import { describe, expect, it } from 'vitest';
import { InvalidRequestError, VersionRequiredError } from './domain-errors';
import { entityTag, expectedVersion } from './expected-version';
import { parseIdempotencyKey } from './idempotency-key';

describe('expectedVersion', () => {
  it('takes the version from the body or from If-Match', () => {
    expect(expectedVersion(4, undefined)).toBe(4);
    expect(expectedVersion(undefined, '"4"')).toBe(4);
    expect(expectedVersion(undefined, 'W/"4"')).toBe(4);
    expect(expectedVersion(undefined, entityTag(12))).toBe(12);
    expect(expectedVersion(4, '"4"')).toBe(4);
  });

  it('requires one (428) and refuses disagreement, wildcards and malformed tags (400)', () => {
    expect(() => expectedVersion(undefined, undefined)).toThrow(VersionRequiredError);
    expect(() => expectedVersion(3, '"4"')).toThrow(InvalidRequestError);
    for (const bad of ['*', '4', '"0"', '"-1"', '"1.5"', '"4", "5"', '"99999999999"']) {
      expect(() => expectedVersion(undefined, bad), bad).toThrow(InvalidRequestError);
    }
    expect(() => expectedVersion(undefined, ['"1"', '"2"'])).toThrow(InvalidRequestError);
  });
});

describe('parseIdempotencyKey', () => {
  it('is optional and passes a well-formed key through', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-42:retry')).toBe('order-42:retry');
    expect(parseIdempotencyKey('k'.repeat(128))).toHaveLength(128);
  });

  it('refuses empty, oversized, repeated and non-printable keys', () => {
    for (const bad of ['', 'k'.repeat(129), 'has space', 'tab\there', 'é', ['a', 'b']]) {
      expect(() => parseIdempotencyKey(bad), String(bad)).toThrow(InvalidRequestError);
    }
  });
});
