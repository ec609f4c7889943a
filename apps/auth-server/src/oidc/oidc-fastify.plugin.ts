import type { FastifyInstance } from 'fastify';
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
  return async function register(instance: FastifyInstance): Promise<void> {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    for (const url of paths) {
      instance.route({
        method: ['GET', 'POST', 'OPTIONS', 'HEAD'],
        url,
        handler: (request, reply) => {
          reply.hijack();
          host.handle(request.raw, reply.raw);
        },
      });
    }
  };
}
