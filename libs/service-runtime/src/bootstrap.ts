import { type DynamicModule, type INestApplication, type Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createLogger, PinoNestLogger } from '@trustline/security';
import helmet from '@fastify/helmet';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { instrumentHttp, startMetricsServer } from './metrics';
import { originForm, refuseMalformedRequests, strictQueryString } from './request-checks';

import { exitCleanlyOnSignal } from './shutdown';
import { requestIdFrom, traceIdFrom } from './request-id';
import { boundedRpcTransport } from './rpc-framing';

export interface ServiceBootstrapOptions {
  name: string;
  module: Type<unknown> | DynamicModule;
  logLevel: string;
  /** JSON body limit in bytes (default 16 KiB): requests beyond it get 413 and change nothing. */
  bodyLimit?: number;
  /** @nestjs/microservices transports served beside HTTP (guards apply: inheritAppConfig); TCP ones get small frame limits (rpc-framing.ts). */
  microservice?: MicroserviceOptions | MicroserviceOptions[];
  openApi?: { title: string; description: string };
  /** Nest's JSON/urlencoded body parsers (default true); a proxy that streams bodies turns them off. */
  bodyParser?: boolean;
  /** Trust `X-Forwarded-*` from this many proxies (Fastify's `trustProxy`); default none. */
  trustProxyHops?: number;
}

/**
 * The common start of every service (eShop's ServiceDefaults, for Nest): Fastify, redacting structured
 * logs, security headers, strict validation (unknown fields refused), OpenAPI at /docs, shutdown hooks.
 */
export async function createService(options: ServiceBootstrapOptions): Promise<NestFastifyApplication> {
  const logger = createLogger(options.logLevel, options.name);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    // A query that is not valid percent-encoding is refused with 400 (request-checks.ts).
    routerOptions: { maxParamLength: 200, querystringParser: strictQueryString },
    // An absolute-form target is routed (and seen by every hook and handler) in origin-form.
    rewriteUrl: originForm,
    trustProxy: options.trustProxyHops ?? false,
    // One id per request across hops: the gateway's X-Request-Id is kept, anything odd is replaced.
    genReqId: (request: { headers: Record<string, unknown> }) => requestIdFrom(request.headers['x-request-id']),
    // ...and the W3C trace id beside it on every line of the request, so one request's lines can be
    // found in every service's log.
    childLoggerFactory: (parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions, request: { headers: Record<string, unknown> }) => {
      const traceId = traceIdFrom(request.headers.traceparent);
      return parent.child(traceId ? { ...bindings, traceId } : bindings, options);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, { logger: new PinoNestLogger(logger), bodyParser: options.bodyParser ?? true });
  instrumentHttp(app.getHttpAdapter().getInstance());
  refuseMalformedRequests(app.getHttpAdapter().getInstance(), app.getHttpServer());
  await app.register(helmet as never, { contentSecurityPolicy: false });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }));
  exitCleanlyOnSignal(app);
  if (options.openApi) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle(options.openApi.title)
        .setDescription(options.openApi.description)
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .build(),
    );
    // The document only (GET /docs/openapi.json): Swagger UI would need @fastify/static and a script-
    // serving page on every internal service; the gateway aggregates the documents for people.
    SwaggerModule.setup('docs', app, document, { ui: false, raw: ['json'], jsonDocumentUrl: 'docs/openapi.json' });
  }
  const transports = options.microservice === undefined ? [] : Array.isArray(options.microservice) ? options.microservice : [options.microservice];
  for (const transport of transports) app.connectMicroservice(boundedRpcTransport(transport), { inheritAppConfig: true });
  return app;
}

/**
 * Listens, starts the microservices if any and the metrics endpoint on its own port (when given), and
 * prints the one ready line launchers wait for (with both ports: 0 means "any free port").
 */
export async function startService(app: INestApplication, name: string, port: number, host: string, metricsPort?: number): Promise<number> {
  await app.startAllMicroservices();
  const metrics = metricsPort === undefined ? undefined : await startMetricsServer(metricsPort, host);
  if (metrics) (app.getHttpAdapter().getInstance() as FastifyInstance).addHook('onClose', async () => metrics.close());
  await app.listen(port, host);
  const address = app.getHttpServer().address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ msg: `${name} ready`, port: bound, ...(metrics ? { metricsPort: metrics.port } : {}) })}\n`);
  return bound;
}

/** Runs `main`, turning configuration errors into one clear message and exit code 78. */
export function runService(name: string, main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name} failed to start: ${message}\n`);
    process.exit(error instanceof Error && error.name === 'ServiceConfigurationError' ? 78 : 1);
  });
}
