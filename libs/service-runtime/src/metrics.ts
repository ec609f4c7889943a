import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecurityObserver } from '@trustline/security';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process: the app's own metrics and Node's (event loop lag, heap, GC). */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status, with their duration',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});
const verifications = new Counter({
  name: 'trustline_token_verifications_total',
  help: 'Access-token verifications by outcome (verified, cache_hit, or the refusal reason)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
const jwksRefreshes = new Counter({
  name: 'trustline_jwks_refreshes_total',
  help: "Fetches of the issuer's JWKS by result",
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});
const m2mTokens = new Counter({
  name: 'trustline_m2m_token_requests_total',
  help: 'Machine-to-machine token lookups: cache_hit, issued (a token request) or error',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

const feedPulls = new Counter({
  name: 'trustline_revocation_feed_pulls_total',
  help: 'Pulls of the revocation feed: ok (read to the end), refused (the auth server answered 4xx: fails closed), unreachable (no answer or 5xx)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
const feedStaleness = new Gauge({
  name: 'trustline_revocation_feed_staleness_seconds',
  help: "Seconds since this verifier's last complete pull of the revocation feed",
  registers: [metricsRegistry],
});

/** @trustline/security's observer, counted in Prometheus. */
export const securityMetrics: SecurityObserver = {
  verification: (outcome) => verifications.inc({ outcome }),
  jwksRefresh: (result) => jwksRefreshes.inc({ result }),
  m2mToken: (outcome) => m2mTokens.inc({ outcome }),
  revocationFeedPull: (outcome) => feedPulls.inc({ outcome }),
  revocationFeedStaleness: (seconds) => feedStaleness.set(seconds),
};

const started = new WeakMap<object, bigint>();

/**
 * Request rate and latency per route *pattern* (`/api/loans/:id`, never the concrete path: one series
 * per route, not per loan), from Fastify's hooks.
 */
export function instrumentHttp(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    started.set(request, process.hrtime.bigint());
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const start = started.get(request);
    if (start === undefined) return;
    const route = request.routeOptions?.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, Number(process.hrtime.bigint() - start) / 1e9);
  });
}

/**
 * `GET /metrics` (Prometheus text) on a port of its own (METRICS_PORT), never the public one: the
 * gateway has no route to it and the network policy keeps it internal.
 */
export async function startMetricsServer(port: number, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    metricsRegistry
      .metrics()
      .then((body) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body))
      .catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
