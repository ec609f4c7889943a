import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthServerModule } from './app.module';
import type { AuthServerConfig } from './config/auth-server.config';
import { createLogger, PinoNestLogger } from '@trustline/security';
import { exitCleanlyOnSignal, instrumentHttp } from '@trustline/service-runtime';
import { OidcProviderHost } from './oidc/oidc-provider.host';
import { oidcRoutes } from './oidc/oidc-fastify.plugin';
import { DemoSeedService } from './seed/demo-seed.service';
import { DemoIdentitiesService } from './seed/demo-identities.service';

/** Login forms and admin calls are small (Nest's Fastify adapter parses JSON and forms under this limit); the engine's own routes keep its 56 KiB limit. */
const BODY_LIMIT = 16 * 1024;

/** Builds the auth server (not yet listening): Nest on Fastify with the OpenID Provider mounted. */
export async function createAuthServer(config: AuthServerConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel, 'auth-server');
  // `trustProxy` as a number: request.ip is the address the outermost of that many trusted proxies saw
  // (the engine's Koa app is told the same, see oidc-provider.factory.ts), never the caller's own
  // leftmost X-Forwarded-For.
  const adapter = new FastifyAdapter({ loggerInstance: logger, bodyLimit: BODY_LIMIT, trustProxy: config.trustProxyHops > 0 ? config.trustProxyHops : false });
  const app = await NestFactory.create<NestFastifyApplication>(AuthServerModule.forRoot(config), adapter, { logger: new PinoNestLogger(logger), bufferLogs: false });
  exitCleanlyOnSignal(app);
  instrumentHttp(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  // Published passwords and secrets must not work in production: refuse to start until they are removed.
  if (config.production) await app.get(DemoIdentitiesService).refuseIfPresent();
  const host = app.get(OidcProviderHost);
  await host.start();
  await app.get(DemoSeedService).run();
  await app.register(oidcRoutes(host) as never);
  return app;
}
