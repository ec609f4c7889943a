import { HttpException, Logger } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayEnv } from './gateway.env';
import { CALLER_THROTTLER } from './relay/caller-throttler.guard';

/**
 * Where rate-limit counters live: this process (one replica), or Redis when REDIS_URL is set, so that
 * every replica counts against the same budget. A Redis that does not answer fails open for rate
 * limiting only (after a short timeout, logged): availability of the API must not hang on a counter,
 * and no security check depends on it.
 */
export function rateLimitStore(env: GatewayEnv): Redis | undefined {
  if (!env.REDIS_URL) return undefined;
  const logger = new Logger('RateLimits');
  const redis = new Redis(env.REDIS_URL, {
    keyPrefix: env.REDIS_KEY_PREFIX,
    connectTimeout: 500,
    commandTimeout: 250,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  let reported = false;
  redis.on('error', (error: Error) => {
    if (!reported) logger.warn(`Redis for rate limits unavailable: ${error.message}`);
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

/** Counts in Redis; when Redis does not answer, lets the request through (see rateLimitStore). */
export class FailOpenRedisStorage implements ThrottlerStorage {
  private readonly inner: ThrottlerStorageRedisService;

  constructor(redis: Redis) {
    this.inner = new ThrottlerStorageRedisService(redis);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch {
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}

/**
 * Per-caller counters in this process (one replica): a fixed window per caller (rate-limiter-flexible),
 * O(1) per request. @nestjs/throttler's own in-memory store keeps a sliding log, one timestamp per hit,
 * filtered on every request: its cost grows with the limit (measured: 13 % of the gateway's CPU at a
 * high limit, docs/benchmarks.md §3). A fixed window lets a caller reach twice the limit across a window
 * boundary at worst, as @fastify/rate-limit's per-address windows do.
 */
export class FixedWindowMemoryStorage implements ThrottlerStorage {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const limiter = this.limiterFor(throttlerName, ttl, limit);
    let result: RateLimiterRes;
    let isBlocked = false;
    try {
      result = await limiter.consume(key);
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      result = refused;
      isBlocked = true;
    }
    const secondsLeft = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
    return { totalHits: result.consumedPoints, timeToExpire: secondsLeft, isBlocked, timeToBlockExpire: isBlocked ? secondsLeft : 0 };
  }

  private limiterFor(name: string, ttlMs: number, limit: number): RateLimiterMemory {
    const id = `${name}:${ttlMs}:${limit}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ keyPrefix: name, points: limit, duration: Math.max(1, Math.ceil(ttlMs / 1000)) });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

/**
 * Connects before the gateway reports ready, so the first requests are counted too (commands sent
 * before the connection would fail open). A Redis that does not answer within 2 s is reported and the
 * gateway starts anyway; ioredis keeps reconnecting.
 */
export async function connectRateLimitStore(redis: Redis | undefined): Promise<void> {
  if (!redis) return;
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
  await Promise.race([redis.connect().catch(() => undefined), timeout]);
  if (redis.status !== 'ready') new Logger('RateLimits').warn('Redis for rate limits not reachable at start; limits fail open until it is');
}

/** @nestjs/throttler's per-caller limit, on Redis when there is one, else in fixed windows in this process. */
export function callerThrottlerOptions(env: GatewayEnv, redis: Redis | undefined): ThrottlerModuleOptions {
  return {
    throttlers: [{ name: CALLER_THROTTLER, ttl: 60_000, limit: env.RATE_LIMIT_PER_CALLER }],
    storage: redis ? new FailOpenRedisStorage(redis) : new FixedWindowMemoryStorage(),
  };
}

/** @fastify/rate-limit's per-address limit (counted before any verification). */
export function perAddressRateLimit(env: GatewayEnv, redis: Redis | undefined) {
  return {
    global: true,
    max: env.RATE_LIMIT_PER_IP,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace: 'ip:', skipOnError: true } : {}),
    allowList: (request: { url: string }) => request.url.startsWith('/health/'),
    // The plugin throws what this returns; Nest's exception layer answers it like any other error.
    errorResponseBuilder: (_request: unknown, context: { after: string }) =>
      new HttpException({ error: 'rate_limited', message: `too many requests; retry in ${context.after}` }, 429),
  };
}
