import { describe, expect, it } from 'vitest';
import { nextTraceparent } from './trace-context';

const SHAPE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('nextTraceparent', () => {
  it("continues the caller's trace with a new parent span and keeps the flags", () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    const next = nextTraceparent(incoming);
    expect(next).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(next.split('-')[2]).not.toBe('00f067aa0ba902b7');
  });

  it('starts a new sampled trace when there is none or it is invalid', () => {
    for (const incoming of [
      undefined,
      '',
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ]) {
      const next = nextTraceparent(incoming);
      expect(next).toMatch(SHAPE);
      expect(next.endsWith('-01')).toBe(true);
      expect(next).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    }
  });
});
