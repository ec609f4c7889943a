import { Inject, Injectable, Logger } from '@nestjs/common';
import { InsufficientScopeException, type Principal } from '@trustline/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { GATEWAY_ENV } from '../gateway.tokens';
import type { GatewayEnv } from '../gateway.env';
import { relayPath, requiredScope, routeFor, type ServiceRoute, serviceRoutes } from './routes';
import { nextTraceparent } from './trace-context';

/**
 * Headers that do not travel to the services: the ones the gateway sets itself (a public caller must not
 * choose them), cookies (the APIs are bearer-only), and the hop-by-hop fields of RFC 9110 §7.6.1 that the
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
];
/** Upstream details a public caller does not need to see. */
const DROPPED_RESPONSE_HEADERS = ['server', 'x-powered-by', 'set-cookie'];

type UpstreamError = Error & { statusCode?: number; cause?: { code?: string } };

/** What a caller is told when the service behind a route fails: fast, JSON, never the internals. */
export function upstreamFailure(service: string, error: UpstreamError): { status: number; body: { error: string; message: string } } {
  const code = error.cause?.code;
  if (error.statusCode === 504 || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { status: 504, body: { error: 'upstream_timeout', message: `${service} did not answer in time` } };
  }
  if (error.statusCode === 503 || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { status: 503, body: { error: 'upstream_unavailable', message: `${service} is unavailable` } };
  }
  return { status: 502, body: { error: 'bad_gateway', message: `${service} failed to answer` } };
}

/**
 * Relays a verified request to the service behind its route with @fastify/reply-from (undici; the
 * request and response bodies are streamed, hop-by-hop headers are dropped by the library). The token
 * is relayed as it came: the service verifies it again.
 */
@Injectable()
export class RelayService {
  private readonly logger = new Logger('Relay');
  private readonly routes: Record<string, ServiceRoute>;

  constructor(@Inject(GATEWAY_ENV) private readonly env: GatewayEnv) {
    this.routes = serviceRoutes(env);
  }

  forward(principal: Principal, request: FastifyRequest, reply: FastifyReply): void {
    const route = routeFor(this.routes, request.url);
    if (!route) {
      void reply.code(404).send({ error: 'not_found', message: 'no such route' });
      return;
    }
    const { service } = route;
    const scope = requiredScope(route, request.method);
    if (!principal.scopes.includes(scope)) throw new InsufficientScopeException([scope]);
    const path = relayPath(route, request.url);
    if (!path) {
      void reply.code(400).send({ error: 'invalid_request', message: 'path not allowed' });
      return;
    }
    const requestId = String(request.id);
    void reply.from(`${route.upstream}${path}`, {
      timeout: this.env.UPSTREAM_TIMEOUT_MS,
      // Idempotent reads get one retry on a reset keep-alive connection; writes are never replayed.
      retriesCount: request.method === 'GET' || request.method === 'HEAD' ? 1 : 0,
      rewriteRequestHeaders: (_request, headers) => this.requestHeaders(request, headers, requestId),
      rewriteHeaders: (headers) => {
        const out: Record<string, unknown> = { ...headers, 'x-request-id': requestId };
        for (const name of DROPPED_RESPONSE_HEADERS) delete out[name];
        return out as IncomingHttpHeaders;
      },
      onError: (failed, { error }) => {
        const { status, body } = upstreamFailure(service, error as UpstreamError);
        this.logger.warn(`${service} relay failed (${status}): ${(error as UpstreamError).cause?.code ?? error.message} [${requestId}]`);
        if (!failed.sent) void failed.code(status).header('x-request-id', requestId).header('cache-control', 'no-store').send(body);
      },
    });
  }

  private requestHeaders(request: FastifyRequest, headers: IncomingHttpHeaders, requestId: string): IncomingHttpHeaders {
    const out: IncomingHttpHeaders = { ...headers };
    for (const name of REPLACED_REQUEST_HEADERS) delete out[name];
    out['x-request-id'] = requestId;
    out.traceparent = nextTraceparent(request.headers.traceparent);
    out['x-forwarded-for'] = request.ip;
    out['x-forwarded-proto'] = request.protocol;
    if (request.headers.host) out['x-forwarded-host'] = request.headers.host;
    return out;
  }
}
