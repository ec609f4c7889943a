import rateLimit from '@fastify/rate-limit';
import { registerRelay } from '@trustline/relay';
import { createService, refuseDemoSecretInProduction, runService, startService } from '@trustline/service-runtime';
import { GatewayAppModule } from './app.module';
import { allowedOrigins, loadGatewayEnv } from './gateway.env';
import { connectRateLimitStore, perAddressRateLimit, rateLimitStore } from './rate-limits';
import { servePortal } from './portal/portal-static';

runService('gateway', async () => {
  const env = loadGatewayEnv();
  refuseDemoSecretInProduction(env, 'gateway');
  const redis = rateLimitStore(env);
  await connectRateLimitStore(redis);
  const app = await createService({
    name: 'gateway',
    module: GatewayAppModule.forRoot(env, redis),
    logLevel: env.LOG_LEVEL,
    bodyLimit: env.BODY_LIMIT_BYTES,
    bodyParser: false,
    trustProxyHops: env.TRUST_PROXY_HOPS,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Bodies streamed to the services, not parsed here; one undici agent for every upstream.
  await registerRelay(app, { bodyLimitBytes: env.BODY_LIMIT_BYTES });

  // Counted per address before any token is verified, so a flood of junk tokens cannot buy verifier CPU.
  await app.register(rateLimit as never, perAddressRateLimit(env, redis));
  if (redis) fastify.addHook('onClose', async () => void redis.quit().catch(() => undefined));
  await servePortal(app, env.ISSUER_URL);
  app.enableCors({
    origin: allowedOrigins(env),
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-request-id', 'traceparent'],
    exposedHeaders: ['etag', 'location', 'x-request-id', 'www-authenticate', 'idempotent-replayed', 'retry-after'],
    credentials: false,
    maxAge: 600,
  });
  await startService(app, 'gateway', env.PORT, env.HOST, env.METRICS_PORT);
});
