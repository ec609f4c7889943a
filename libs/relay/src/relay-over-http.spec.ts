import replyFrom from '@fastify/reply-from';
import Fastify, { type FastifyInstance } from 'fastify';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayPathUnder } from './prefix-path';
import { UpstreamRelay } from './upstream-relay';

/** The relay in a bare Fastify in front of a real upstream that records what reached it. */
let upstream: Server;
let relayApp: FastifyInstance;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  upstream = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    request.resume();
    request.on('end', () => response.setHeader('content-type', 'application/json').end(JSON.stringify({ url: request.url })));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  relayApp = Fastify();
  await relayApp.register(replyFrom, { undici: { connections: 4, pipelining: 1 }, disableRequestLogging: true, maxRetriesOn503: 0 });
  const relay = new UpstreamRelay({ timeoutMs: 1_000 });
  relayApp.all('/api/x/*', (request, reply) => {
    const path = relayPathUnder('/api/x', request.url);
    if (!path) return reply.code(400).send({ error: 'invalid_request' });
    relay.forward(request, reply, { service: 'x', upstreams: [base], path });
    return reply;
  });
  await relayApp.ready();
});

afterAll(async () => {
  await relayApp?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('UpstreamRelay over HTTP', () => {
  it('relays a well-formed query as it came, even one that decodes to dot segments or a percent sign', async () => {
    for (const url of ['/api/x/1?next=..%2F..%2Fmetrics', '/api/x/1?a=%25zz&b=%2e%2e', '/api/x/1?q=/../']) {
      const answer = await relayApp.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.json(), url).toEqual({ url });
    }
  });

  it('answers an Expect: 100-continue request itself and relays it without the field (undici refuses to send it)', async () => {
    const answer = await relayApp.inject({ method: 'POST', url: '/api/x/1', headers: { expect: '100-continue', 'content-type': 'application/json' }, payload: '{}' });
    expect(answer.statusCode).toBe(200);
    expect(seen.at(-1)?.headers.expect).toBeUndefined();
  });

  it('refuses a target the proxy library will not send (a segment starting with ..) with 400 in the services’ error shape', async () => {
    const before = seen.length;
    const answer = await relayApp.inject({ method: 'GET', url: '/api/x/..1' });
    expect({ status: answer.statusCode, body: answer.json() }).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'the request cannot be relayed as sent' },
    });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(seen.length).toBe(before);
  });
});
