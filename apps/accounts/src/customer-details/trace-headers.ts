/** The headers a downstream call carries on from the incoming request (W3C Trace Context and a request id). */
export interface TraceHeaders {
  traceparent?: string;
  'x-request-id'?: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Only well-formed, single values are passed on: a malformed or repeated header is dropped rather than
 * forwarded (it could otherwise smuggle text into another service's logs or headers).
 */
export function traceHeaders(incoming: Record<string, unknown>): TraceHeaders {
  const headers: TraceHeaders = {};
  const traceparent = incoming['traceparent'];
  if (typeof traceparent === 'string' && TRACEPARENT.test(traceparent) && !traceparent.startsWith('ff-')) headers.traceparent = traceparent;
  const requestId = incoming['x-request-id'];
  if (typeof requestId === 'string' && REQUEST_ID.test(requestId)) headers['x-request-id'] = requestId;
  return headers;
}
