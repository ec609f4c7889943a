import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OidcProviderHost } from './oidc-provider.host';

/**
 * The engine's own routes, handed to it untouched. In this encapsulated Fastify context no body parser
 * runs, so the engine reads the raw stream itself (with its own 56 KiB limit), exactly as it is tested
 * upstream; Nest's routes (login, health) keep Fastify's parsers outside it.
 */
export function oidcRoutes(host: OidcProviderHost) {
  const paths = [
    '/.well-known/openid-configuration',
    '/jwks',
    '/token',
    '/token/introspection',
    '/token/revocation',
    '/auth',
    '/auth/:uid',
    '/me',
    '/session/end',
    '/session/end/confirm',
    '/session/end/success',
    '/request',
  ];
  const handOver = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    host.handle(request.raw, reply.raw);
  };
  return async function register(instance: FastifyInstance): Promise<void> {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    // Handed over before Fastify's body stage: for a request with a body, that stage costs an
    // AsyncResource and its bound callback (on Node 20 two util.deprecate wrappers each time) only to
    // parse nothing. The onRequest hooks (security headers, metrics, request logs) have run by then; the
    // onResponse ones still run when the engine's answer is finished.
    instance.addHook('preParsing', (request, reply, _payload, done) => {
      handOver(request, reply);
      // The reply is hijacked: Fastify stops here and runs no further stage.
      done();
    });
    for (const url of paths) instance.route({ method: ['GET', 'POST', 'OPTIONS', 'HEAD'], url, handler: handOver });
  };
}
