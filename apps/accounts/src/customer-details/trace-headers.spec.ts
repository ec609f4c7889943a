import { describe, expect, it } from 'vitest';
import { traceHeaders } from './trace-headers';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceHeaders', () => {
  it('passes on a well-formed traceparent and request id, and nothing else', () => {
    expect(traceHeaders({ traceparent: TRACEPARENT, 'x-request-id': 'req-42', authorization: 'Bearer user-token', cookie: 'a=b' })).toEqual({
      traceparent: TRACEPARENT,
      'x-request-id': 'req-42',
    });
    expect(traceHeaders({})).toEqual({});
  });

  it('drops malformed, repeated and oversized values', () => {
    expect(traceHeaders({ traceparent: 'nonsense', 'x-request-id': 'has space' })).toEqual({});
    expect(traceHeaders({ traceparent: TRACEPARENT.replace(/^00/, 'ff') })).toEqual({});
    expect(traceHeaders({ traceparent: [TRACEPARENT, TRACEPARENT], 'x-request-id': ['a', 'b'] })).toEqual({});
    expect(traceHeaders({ 'x-request-id': 'r'.repeat(129) })).toEqual({});
    expect(traceHeaders({ 'x-request-id': 'evil\r\nx-injected: 1' })).toEqual({});
  });
});
