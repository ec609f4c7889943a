import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { z } from 'zod';

/** Values that exist only so the demo runs out of the box; production refuses them. */
export const DEMO_KEY_ENCRYPTION_SECRET = 'trustline-demo-key-encryption-secret-change-me';

const urlWithoutTrailingSlash = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(31_536_000).default(fallback);

/**
 * The auth server's environment, validated once at boot. Every default lives here and is the one the
 * README documents (CONVENTIONS.md fixes the names).
 */
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(9000),
    /** Prometheus metrics, on a port of their own (never published). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9100),
    HOST: z.string().min(1).default('0.0.0.0'),
    /** The issuer as browsers and tokens name it; every verifier requires exactly this `iss`. */
    ISSUER_URL: urlWithoutTrailingSlash.default('http://localhost:9000'),
    /** The gateway as browsers reach it; the portal's redirect URI hangs off it. */
    PUBLIC_GATEWAY_URL: urlWithoutTrailingSlash.default('http://localhost:8080'),
    /** Absent: embedded SQLite under DATA_DIR. `postgres://…`: PostgreSQL. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave unset for embedded SQLite)')
      .optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    ACCESS_TOKEN_TTL: seconds(300),
    REFRESH_TOKEN_TTL: seconds(1_209_600),
    /** Clock skew its own APIs (admin, revocation feed) allow on `exp`/`nbf`/`iat`, like every verifier's. */
    CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(MAX_CLOCK_TOLERANCE_SECONDS).default(30),
    /** When set, private signing keys are stored encrypted with a key derived from it. */
    KEY_ENCRYPTION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Seed demo users and clients (never in production). */
    DEMO_SEED: z.enum(['true', 'false']).optional(),
    /**
     * How many proxies you run in front of the auth server, each appending the address it saw to
     * X-Forwarded-For (0: none, the header is ignored). The client address is the one the outermost of
     * them saw; anything further left was written by the caller and is never believed. Same name and
     * meaning as the gateway's.
     */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    /** Replaced by TRUST_PROXY_HOPS: `true` believed the caller's own leftmost X-Forwarded-For. */
    TRUST_PROXY: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Set: revocations are announced on NATS (`trustline.revocations`). */
    NATS_URL: z.url({ protocol: /^nats$/, error: 'must be a nats:// URL (leave unset for no broker)' }).optional(),
    /** Set: brute-force counters live in Redis, shared by every replica (else in this process). */
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    /** Prefix of this deployment's keys in a shared Redis. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/)
      .default('trustline:auth:'),
    /**
     * Failed logins in LOGIN_WINDOW_SECONDS: per (account, address) and per address before 429 until the
     * window ends; per account (from anywhere) before that account is slowed down (never locked).
     */
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: z.coerce.number().int().min(1).max(1000).default(5),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(10_000).default(20),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
    LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** Past LOGIN_MAX_FAILURES_PER_ACCOUNT, one sign-in to that account is evaluated per this many seconds (a slowdown, not a lockout). */
    LOGIN_ACCOUNT_SLOWDOWN_SECONDS: z.coerce.number().int().min(1).max(3_600).default(5),
    /**
     * Failed client authentications allowed per (client, address) and per address at the token
     * endpoints, in CLIENT_AUTH_WINDOW_SECONDS. Never per client alone: anyone could lock a client out.
     */
    CLIENT_AUTH_MAX_FAILURES_PER_CLIENT_AND_IP: z.coerce.number().int().min(1).max(10_000).default(10),
    CLIENT_AUTH_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(100),
    CLIENT_AUTH_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    /** Authorization requests (GET/POST /auth; each can create an interaction row) allowed per address in AUTHORIZATION_WINDOW_SECONDS. */
    AUTHORIZATION_MAX_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(300),
    AUTHORIZATION_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** How often expired revocations and engine rows (interactions, sessions, codes…) are deleted. */
    PURGE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
    /** How often the signing-key table is checked for rotations made elsewhere (CLI, another replica). */
    KEY_RELOAD_MS: z.coerce.number().int().min(200).max(600_000).default(2_000),
  })
  .superRefine((env, ctx) => {
    if (env.TRUST_PROXY !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message: 'was replaced by TRUST_PROXY_HOPS, the number of proxies in front of the auth server (0: none); unset TRUST_PROXY',
      });
    }
    if (env.NODE_ENV !== 'production') return;
    if (!env.KEY_ENCRYPTION_SECRET || env.KEY_ENCRYPTION_SECRET === DEMO_KEY_ENCRYPTION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['KEY_ENCRYPTION_SECRET'], message: 'must be set to a non-demo secret in production' });
    }
    if (env.DEMO_SEED === 'true') {
      ctx.addIssue({ code: 'custom', path: ['DEMO_SEED'], message: 'demo identities are never seeded in production' });
    }
    if (!env.ISSUER_URL.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['ISSUER_URL'], message: 'must be https:// in production' });
    }
  });

export type AuthServerEnv = z.input<typeof schema>;

export interface AuthServerConfig {
  readonly production: boolean;
  readonly port: number;
  readonly metricsPort: number;
  readonly host: string;
  readonly issuer: string;
  readonly publicGatewayUrl: string;
  readonly database: { readonly type: 'sqlite'; readonly file: string } | { readonly type: 'postgres'; readonly url: string };
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly clockToleranceSeconds: number;
  readonly keyEncryptionSecret: string | undefined;
  readonly demoSeed: boolean;
  readonly logLevel: string;
  /** Proxies trusted to append to X-Forwarded-For (0: the header is ignored). */
  readonly trustProxyHops: number;
  readonly keyReloadMs: number;
  readonly purgeIntervalSeconds: number;
  readonly natsUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly attempts: {
    readonly loginPerAccountAndIp: number;
    readonly loginPerAccount: number;
    readonly loginPerIp: number;
    readonly loginWindowSeconds: number;
    readonly loginAccountSlowdownSeconds: number;
    readonly clientAuthPerClientAndIp: number;
    readonly clientAuthPerIp: number;
    readonly clientAuthWindowSeconds: number;
    readonly authorizationPerIp: number;
    readonly authorizationWindowSeconds: number;
  };
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid auth-server configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Parses the environment; throws one error listing every problem by variable name. */
export function loadAuthServerConfig(env: Record<string, string | undefined> = process.env): AuthServerConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigurationError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  const parsed = result.data;
  const production = parsed.NODE_ENV === 'production';
  return {
    production,
    port: parsed.PORT,
    metricsPort: parsed.METRICS_PORT,
    host: parsed.HOST,
    issuer: parsed.ISSUER_URL,
    publicGatewayUrl: parsed.PUBLIC_GATEWAY_URL,
    database: parsed.DATABASE_URL ? { type: 'postgres', url: parsed.DATABASE_URL } : { type: 'sqlite', file: `${parsed.DATA_DIR.replace(/\/+$/, '')}/auth-server.sqlite` },
    accessTokenTtl: parsed.ACCESS_TOKEN_TTL,
    refreshTokenTtl: parsed.REFRESH_TOKEN_TTL,
    clockToleranceSeconds: parsed.CLOCK_TOLERANCE_SECONDS,
    keyEncryptionSecret: parsed.KEY_ENCRYPTION_SECRET ?? (production ? undefined : DEMO_KEY_ENCRYPTION_SECRET),
    demoSeed: parsed.DEMO_SEED ? parsed.DEMO_SEED === 'true' : !production,
    logLevel: parsed.LOG_LEVEL,
    trustProxyHops: parsed.TRUST_PROXY_HOPS,
    keyReloadMs: parsed.KEY_RELOAD_MS,
    purgeIntervalSeconds: parsed.PURGE_INTERVAL_SECONDS,
    natsUrl: parsed.NATS_URL,
    redisUrl: parsed.REDIS_URL,
    redisKeyPrefix: parsed.REDIS_KEY_PREFIX,
    attempts: {
      loginPerAccountAndIp: parsed.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP,
      loginPerAccount: parsed.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginPerIp: parsed.LOGIN_MAX_FAILURES_PER_IP,
      loginWindowSeconds: parsed.LOGIN_WINDOW_SECONDS,
      loginAccountSlowdownSeconds: parsed.LOGIN_ACCOUNT_SLOWDOWN_SECONDS,
      clientAuthPerClientAndIp: parsed.CLIENT_AUTH_MAX_FAILURES_PER_CLIENT_AND_IP,
      clientAuthPerIp: parsed.CLIENT_AUTH_MAX_FAILURES_PER_IP,
      clientAuthWindowSeconds: parsed.CLIENT_AUTH_WINDOW_SECONDS,
      authorizationPerIp: parsed.AUTHORIZATION_MAX_PER_IP,
      authorizationWindowSeconds: parsed.AUTHORIZATION_WINDOW_SECONDS,
    },
  };
}

export const AUTH_SERVER_CONFIG = Symbol('AUTH_SERVER_CONFIG');
