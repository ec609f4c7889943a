import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { relayPathUnder } from './prefix-path';
import { upstreamFailure } from './upstream-failure';
import { UpstreamRelay } from './upstream-relay';

/** A reply that records where reply-from was asked to go, and with which options. */
function recordingReply() {
  const calls: { url: string; options: Record<string, unknown> }[] = [];
  const reply = { from: (url: string, options: Record<string, unknown>) => calls.push({ url, options }) } as unknown as FastifyReply;
  return { reply, calls };
}
const request = (method = 'GET', headers: Record<string, string> = {}) => ({ id: 'req-1', method, headers, ip: '10.0.0.9', protocol: 'http' }) as unknown as FastifyRequest;

describe('UpstreamRelay', () => {
  it('takes the replicas of a service in turn, each service on its own turn', () => {
    const relay = new UpstreamRelay({ timeoutMs: 1_000 });
    const { reply, calls } = recordingReply();
    const accounts = { service: 'accounts', upstreams: ['http://a1', 'http://a2'], path: '/api/accounts/me' };
    const loans = { service: 'loans', upstreams: ['http://l1'], path: '/api/loans' };
    for (let i = 0; i < 3; i += 1) relay.forward(request(), reply, accounts);
    relay.forward(request(), reply, loans);
    relay.forward(request(), reply, accounts);
    expect(calls.map((call) => call.url)).toEqual([
      'http://a1/api/accounts/me',
      'http://a2/api/accounts/me',
      'http://a1/api/accounts/me',
      'http://l1/api/loans',
      'http://a2/api/accounts/me',
    ]);
  });

  it('retries reads once on a reset connection and never replays a write', () => {
    const relay = new UpstreamRelay({ timeoutMs: 1_000 });
    const { reply, calls } = recordingReply();
    const target = { service: 'cards', upstreams: ['http://c'], path: '/api/cards' };
    relay.forward(request('GET'), reply, target);
    relay.forward(request('POST'), reply, target);
    expect(calls.map((call) => call.options.retriesCount)).toEqual([1, 0]);
  });

  it('replaces the caller-chosen forwarding and tracing headers and drops cookies and hop-by-hop fields', () => {
    const relay = new UpstreamRelay({ timeoutMs: 1_000 });
    const { reply, calls } = recordingReply();
    const incoming = { 'x-forwarded-for': '1.2.3.4', 'x-request-id': 'spoofed', cookie: 'a=b', te: 'trailers', host: 'gw', authorization: 'Bearer t' };
    relay.forward(request('GET', incoming), reply, { service: 'cards', upstreams: ['http://c'], path: '/api/cards' });
    const rewrite = calls[0].options.rewriteRequestHeaders as (request: unknown, headers: Record<string, string>) => Record<string, string>;
    const out = rewrite(undefined, incoming);
    expect(out).toMatchObject({ 'x-forwarded-for': '10.0.0.9', 'x-request-id': 'req-1', 'x-forwarded-host': 'gw', authorization: 'Bearer t' });
    expect(out.cookie).toBeUndefined();
    expect(out.te).toBeUndefined();
    expect(out.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const rewriteResponse = calls[0].options.rewriteHeaders as (headers: Record<string, string>) => Record<string, string>;
    expect(rewriteResponse({ server: 'x', 'set-cookie': 's=1', etag: '"1"' })).toEqual({ etag: '"1"', 'x-request-id': 'req-1' });
  });
});

describe('upstreamFailure', () => {
  const failure = (code: string) => Object.assign(new Error('failed'), { cause: { code } });
  it('maps timeouts to 504, an unreachable service to 503 and anything else to 502, naming no internals', () => {
    expect(upstreamFailure('loans', failure('UND_ERR_HEADERS_TIMEOUT')).status).toBe(504);
    expect(upstreamFailure('loans', failure('ECONNREFUSED'))).toEqual({ status: 503, body: { error: 'upstream_unavailable', message: 'loans is unavailable' } });
    expect(upstreamFailure('loans', failure('ECONNRESET')).status).toBe(502);
  });

  it("answers the caller's 400, in the services' error shape, for a request the HTTP client will not send as it came", () => {
    const refused = { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'the request cannot be relayed as sent' } };
    // undici's own checks (InvalidArgumentError, NotSupportedError for `expect`), wrapped by reply-from or not
    expect(upstreamFailure('loans', failure('UND_ERR_INVALID_ARG'))).toEqual(refused);
    expect(upstreamFailure('loans', failure('UND_ERR_NOT_SUPPORTED'))).toEqual(refused);
    expect(upstreamFailure('loans', Object.assign(new Error('invalid upgrade header'), { code: 'UND_ERR_INVALID_ARG' }))).toEqual(refused);
    // a target reply-from refuses, a malformed escape
    expect(upstreamFailure('loans', Object.assign(new Error('source/request contain invalid characters'), { statusCode: 400 }))).toEqual(refused);
    expect(upstreamFailure('loans', new URIError('URI malformed'))).toEqual(refused);
  });
});

describe('relayPathUnder', () => {
  it('keeps paths under the prefix as they are and refuses any that could leave it', () => {
    expect(relayPathUnder('/api/x', '/api/x/1?q=..%2F')).toBe('/api/x/1?q=..%2F');
    for (const url of ['/api/x/../y', '/api/x/%2e%2e', '/api/x//y', '/api/xy', '/api/y']) expect(relayPathUnder('/api/x', url), url).toBeUndefined();
  });
});
