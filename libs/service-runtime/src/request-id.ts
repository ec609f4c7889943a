import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of an incoming request: the caller's `X-Request-Id` when it is a sane token (the gateway
 * sets one for every hop, so all log lines of one request share it), else a new UUID. Anything else is
 * replaced, so a header cannot smuggle text into log lines.
 */
export function requestIdFrom(incoming: unknown): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The W3C trace id of a `traceparent` header (the gateway sets one for every hop), if well-formed. */
export function traceIdFrom(traceparent: unknown): string | undefined {
  return typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}
