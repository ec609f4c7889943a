import { baseServiceEnv, loadServiceEnv } from '@trustline/service-runtime';
import { GATEWAY_SERVICES, upstreamVariable } from './relay/routes';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
/** One service's base URL, or several comma-separated (its replicas, taken in turn by the relay). */
const upstream = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((entry) => entry.trim()))
    .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1))
    .transform((urls) => urls.map((url) => url.replace(/\/+$/, '')));
const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

/**
 * The gateway's environment (CONVENTIONS.md). It has no database: `DATABASE_URL` and `DATA_DIR` from the
 * shared schema are ignored.
 */
export const gatewayEnvSchema = baseServiceEnv
  .extend({
    PORT: port(8080),
    METRICS_PORT: port(9180),
    PUBLIC_GATEWAY_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:8080'),
    // ACCOUNTS_URL, LOANS_URL, CARDS_URL … one per service behind the gateway.
    ...Object.fromEntries(GATEWAY_SERVICES.map(({ service, port }) => [upstreamVariable(service), upstream(`http://localhost:${port}`)])),
    /** Extra browser origins allowed by CORS (comma-separated), besides PUBLIC_GATEWAY_URL's own. */
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url({ protocol: /^https?$/ }))),
    /** A downstream that has not answered within this long gets the caller a 504. */
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
    /** Largest request body relayed, in bytes (413 beyond it). */
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
    /** Requests per minute per client address, counted before any token is verified. */
    RATE_LIMIT_PER_IP: perMinute(1200),
    /** Requests per minute per verified caller (a user, or an M2M client). */
    RATE_LIMIT_PER_CALLER: perMinute(600),
    /** Trust X-Forwarded-For from this many proxies in front of the gateway (0: none, the default). */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    REVOCATION_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** Set: rate-limit counters live in Redis, shared by every gateway replica (else in this process). */
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    /** Prefix of this deployment's keys in a shared Redis. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/)
      .default('trustline:gateway:'),
  })
  .refine((env) => Boolean(env.CLIENT_ID) === Boolean(env.CLIENT_SECRET), {
    message: 'CLIENT_ID and CLIENT_SECRET are set together or not at all',
    path: ['CLIENT_SECRET'],
  });

export type GatewayEnv = z.output<typeof gatewayEnvSchema>;

export function loadGatewayEnv(env: Record<string, string | undefined> = process.env): GatewayEnv {
  return loadServiceEnv('gateway', gatewayEnvSchema, env);
}

/** The browser origins CORS lets in: the gateway's own public origin plus CORS_ORIGINS. */
export function allowedOrigins(env: GatewayEnv): string[] {
  return [...new Set([new URL(env.PUBLIC_GATEWAY_URL).origin, ...env.CORS_ORIGINS.map((origin) => new URL(origin).origin)])];
}
