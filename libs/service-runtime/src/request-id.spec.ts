import { describe, expect, it } from 'vitest';
import { requestIdFrom, traceIdFrom } from './request-id';

describe('requestIdFrom', () => {
  it('keeps a sane caller id and replaces anything that could smuggle text into logs', () => {
    expect(requestIdFrom('req-42.a:b_c')).toBe('req-42.a:b_c');
    for (const bad of [undefined, '', 'a b', 'x\ninjected', 'é', 'a'.repeat(129), ['a']]) expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('traceIdFrom', () => {
  it('reads the trace id of a well-formed traceparent only', () => {
    expect(traceIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const bad of [undefined, '', 'garbage', '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']])
      expect(traceIdFrom(bad)).toBeUndefined();
  });
});
