import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { parse } from 'node:querystring';

/**
 * The query of a request whose query string is not valid percent-encoding (RFC 3986 §2.1: `%` then two
 * hex digits, decoding to UTF-8). The parser cannot throw (it runs inside the router, where a throw
 * would never become an answer), so it answers this object and the onRequest check refuses it.
 */
const MALFORMED_QUERY: Record<string, never> = Object.freeze(Object.create(null) as Record<string, never>);

/**
 * Fastify's query string parser for every app: what the router finds after the first `?` or `#` is
 * parsed as usual when it decodes, and refused (400, below) when it does not, instead of each hop doing
 * something different with it (a lenient parser kept the raw text, the gateway's proxy threw a 500).
 * Decoding is tried only when there is a `%` at all, so the usual request pays one indexOf.
 */
export function strictQueryString(query: string): Record<string, unknown> {
  if (query.length === 0) return {};
  if (query.includes('%')) {
    try {
      decodeURIComponent(query);
    } catch {
      return MALFORMED_QUERY;
    }
  }
  return parse(query, '&', '=', { maxKeys: 0 });
}

/**
 * The request target in origin-form (Fastify's `rewriteUrl`, before routing). RFC 9112 §3.2.2: a server
 * MUST accept the absolute-form (`GET http://host/api/x HTTP/1.1`); the router does, but everything that
 * reads `request.url` (the gateway's audience per route, its relay) would see a URL that names no route.
 * The authority is dropped: no app answers differently by host. The usual target costs one charCodeAt.
 */
export function originForm(request: { url?: string }): string {
  const url = request.url ?? '/';
  if (url.charCodeAt(0) === 47) return url;
  const authorityAt = url.indexOf('://');
  if (authorityAt === -1) return url; // `*` and anything else: the router answers it
  for (let index = authorityAt + 3; index < url.length; index += 1) {
    const char = url.charCodeAt(index);
    if (char === 47) return url.slice(index);
    if (char === 63 || char === 35) return `/${url.slice(index)}`;
  }
  return '/';
}

const isContinue = (expect: string) => expect.length === 12 && expect.toLowerCase() === '100-continue';

/**
 * Refuses, before any route, guard or proxy runs and in Nest's error shape like any other refusal:
 * - a query whose percent-encoding is malformed: 400;
 * - an `Expect` other than `100-continue`: 417 (RFC 9110 §10.1.1: a server that receives an Expect field
 *   value other than 100-continue MAY respond 417 Expectation Failed). Node would otherwise take
 *   `100-continue-nope` for `100-continue` (it matches a word, not the value), and answer anything else
 *   with a bare 417 of its own, outside the app.
 * Node's own `100 Continue` is sent only for an exact `100-continue` (`checkContinue`); every other
 * expectation reaches Fastify (`checkExpectation`) and gets the 417 here, logged and counted as any
 * request.
 */
export function refuseMalformedRequests(fastify: FastifyInstance, server: Server): void {
  server.on('checkContinue', (request, response) => {
    if (isContinue(String(request.headers.expect))) response.writeContinue();
    server.emit('request', request, response);
  });
  server.on('checkExpectation', (request, response) => server.emit('request', request, response));
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.query === MALFORMED_QUERY) return done(new BadRequestException('malformed percent-encoding in the query string'));
    const expect = request.headers.expect;
    if (expect !== undefined && !isContinue(expect)) {
      return done(
        new HttpException(
          { statusCode: HttpStatus.EXPECTATION_FAILED, error: 'Expectation Failed', message: 'the only expectation supported is 100-continue' },
          HttpStatus.EXPECTATION_FAILED,
        ),
      );
    }
    done();
  });
}
