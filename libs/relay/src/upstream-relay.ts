import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { nextTraceparent } from './trace-context';
import { upstreamFailure, type UpstreamError } from './upstream-failure';

/**
 * Headers that do not travel upstream: the ones the relay sets itself (a public caller must not choose
 * them), cookies (the APIs are bearer-only), and the hop-by-hop fields of RFC 9110 §7.6.1 that the
 * proxy library does not already drop (it drops Connection and the fields Connection names).
 */
const REPLACED_REQUEST_HEADERS = [
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
  'cookie',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'keep-alive',
  // This hop has answered the expectation itself (Node sends 100 Continue for exactly `100-continue`;
  // the service runtime refuses any other with 417). It is not relayed: undici refuses to send it.
  'expect',
];
/** Upstream details a public caller does not need to see. */
const DROPPED_RESPONSE_HEADERS = ['server', 'x-powered-by', 'set-cookie'];

/** Where one request goes: the service's name (for errors and logs) and its replicas' base URLs. */
export interface RelayTarget {
  service: string;
  /** One URL per replica; requests take them in turn. */
  upstreams: readonly string[];
  /** The path and query to request upstream (see `relayPathUnder`). */
  path: string;
}

/**
 * Relays a request with @fastify/reply-from (undici; request and response bodies are streamed,
 * hop-by-hop headers are dropped by the library): headers cleaned, X-Request-Id and a continued W3C
 * `traceparent` set, X-Forwarded-* from this hop, failures answered as JSON 502/503/504. Whoever calls it
 * has decided the request may pass: it verifies nothing itself.
 */
export class UpstreamRelay {
  private readonly logger = new Logger('Relay');
  private readonly turns = new Map<string, number>();

  constructor(private readonly options: { timeoutMs: number }) {}

  forward(request: FastifyRequest, reply: FastifyReply, target: RelayTarget): void {
    const requestId = String(request.id);
    const { service } = target;
    const fail = (error: UpstreamError) => {
      const { status, body } = upstreamFailure(service, error);
      const line = `${service} relay failed (${status}): ${error.cause?.code ?? error.code ?? error.message} [${requestId}]`;
      if (status < 500) this.logger.debug(line);
      else this.logger.warn(line);
      if (!reply.sent) void reply.code(status).header('x-request-id', requestId).header('cache-control', 'no-store').send(body);
    };
    // The query goes as it came, beside the path: @fastify/reply-from decodes the URL it is given to look
    // for `..`, which would refuse a query such as `?next=..%2F` (the path was checked by relayPathUnder).
    const queryAt = target.path.indexOf('?');
    const path = queryAt === -1 ? target.path : target.path.slice(0, queryAt);
    const query = queryAt === -1 ? '' : target.path.slice(queryAt + 1);
    try {
      void reply.from(`${this.nextUpstream(target)}${path}`, {
        timeout: this.options.timeoutMs,
        queryString: () => query,
        // Idempotent reads get one retry on a reset keep-alive connection; writes are never replayed.
        retriesCount: request.method === 'GET' || request.method === 'HEAD' ? 1 : 0,
        rewriteRequestHeaders: (_request, headers) => requestHeaders(request, headers, requestId),
        rewriteHeaders: (headers) => {
          const out: Record<string, unknown> = { ...headers, 'x-request-id': requestId };
          for (const name of DROPPED_RESPONSE_HEADERS) delete out[name];
          return out as IncomingHttpHeaders;
        },
        onError: (_reply, { error }) => fail(error as UpstreamError),
      });
    } catch (error) {
      // reply-from refuses some targets by throwing before anything is sent (a `..` inside a segment).
      fail(error as UpstreamError);
    }
  }

  /** Round robin over the service's replicas (one URL: always that one). */
  private nextUpstream({ service, upstreams }: RelayTarget): string {
    if (upstreams.length === 1) return upstreams[0];
    const turn = this.turns.get(service) ?? 0;
    this.turns.set(service, (turn + 1) % upstreams.length);
    return upstreams[turn % upstreams.length];
  }
}

function requestHeaders(request: FastifyRequest, headers: IncomingHttpHeaders, requestId: string): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  for (const name of REPLACED_REQUEST_HEADERS) delete out[name];
  out['x-request-id'] = requestId;
  out.traceparent = nextTraceparent(request.headers.traceparent);
  out['x-forwarded-for'] = request.ip;
  out['x-forwarded-proto'] = request.protocol;
  if (request.headers.host) out['x-forwarded-host'] = request.headers.host;
  return out;
}
