import { describe, expect, it } from 'vitest';
import { requestIdFrom } from './request-id';

describe('requestIdFrom', () => {
  it('keeps a sane caller id and replaces anything that could smuggle text into logs', () => {
    expect(requestIdFrom('req-42.a:b_c')).toBe('req-42.a:b_c');
    for (const bad of [undefined, '', 'a b', 'x\ninjected', 'é', 'a'.repeat(129), ['a']]) expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
