import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { z } from 'zod';

const url = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));

/** The variables every service reads (CONVENTIONS.md); each service extends this schema with its own. */
export const baseServiceEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  ISSUER_URL: url.default('http://localhost:9000'),
  AUTH_INTERNAL_URL: url.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave unset for embedded SQLite)')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  CLIENT_ID: z.string().min(1).optional(),
  CLIENT_SECRET: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Set by each app's schema with its conventional default (CONVENTIONS.md); 0 picks a free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * How long a verifier that cannot reach the auth server keeps serving on its last revocation state
   * before it turns not ready (docs/security-model.md: availability against revocation freshness).
   */
  REVOCATION_MAX_STALENESS_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Set: revocations arrive as NATS events (and RPC may use NATS); unset: no broker. */
  NATS_URL: z.url({ protocol: /^nats$/, error: 'must be a nats:// URL (leave unset for no broker)' }).optional(),
  /** Clock skew allowed on `exp`/`nbf`/`iat` (default 30 s); never above what the auth server's revocation horizons cover. */
  CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(MAX_CLOCK_TOLERANCE_SECONDS).optional(),
});

export class ServiceConfigurationError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${service} configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ServiceConfigurationError';
  }
}

/** Parses the environment once at boot; every problem is reported by variable name. */
export function loadServiceEnv<S extends z.ZodType>(service: string, schema: S, env: Record<string, string | undefined> = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success)
    throw new ServiceConfigurationError(
      service,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  return result.data;
}

/** With NODE_ENV=production a service refuses to start on a demo secret (CONVENTIONS.md). */
export function refuseDemoSecretInProduction(env: { NODE_ENV: string; CLIENT_SECRET?: string }, service: string): void {
  if (env.NODE_ENV === 'production' && env.CLIENT_SECRET?.endsWith('-secret')) {
    throw new ServiceConfigurationError(service, ['CLIENT_SECRET: a demo secret is refused in production']);
  }
}
