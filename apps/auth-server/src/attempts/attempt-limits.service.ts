import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type IRateLimiterOptions, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * Brute-force protection (rate-limiter-flexible): failed logins per account and address, per account
 * from anywhere, and per address; failed client authentications per client and per address. Only
 * failures count, and the key is the name typed, whether or not such an account exists, so the answers
 * never reveal which accounts exist. A blocked attempt is refused before the password is even checked.
 *
 * Per (account, address) is the tight limit: an attacker elsewhere cannot lock a user out with it;
 * the looser per-account limit still slows a guessing campaign spread over many addresses.
 */
@Injectable()
export class AttemptLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis | undefined;
  private readonly login: { accountAndIp: Limiter; account: Limiter; ip: Limiter };
  private readonly clientAuth: { client: Limiter; ip: Limiter };

  constructor(@Inject(AUTH_SERVER_CONFIG) config: AuthServerConfig) {
    const limits = config.attempts;
    this.redis = config.redisUrl
      ? new Redis(config.redisUrl, { keyPrefix: config.redisKeyPrefix, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000 })
      : undefined;
    const limiter = (keyPrefix: string, points: number, duration: number): Limiter => {
      const options: IRateLimiterOptions = { keyPrefix, points, duration, blockDuration: duration };
      // Counting in Redis when there is one (several replicas share the budget); if Redis fails, this
      // process keeps counting on its own rather than letting guesses through uncounted.
      return this.redis ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) }) : new RateLimiterMemory(options);
    };
    this.login = {
      accountAndIp: limiter('login-account-ip', limits.loginPerAccountAndIp, limits.loginWindowSeconds),
      account: limiter('login-account', limits.loginPerAccount, limits.loginWindowSeconds),
      ip: limiter('login-ip', limits.loginPerIp, limits.loginWindowSeconds),
    };
    this.clientAuth = {
      client: limiter('client-auth', limits.clientAuthPerClient, limits.clientAuthWindowSeconds),
      ip: limiter('client-auth-ip', limits.clientAuthPerIp, limits.clientAuthWindowSeconds),
    };
  }

  /** Connects before the server serves (until then the in-memory insurance limiter counts). */
  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    await Promise.race([this.redis.connect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  /** Seconds to wait before this login may be tried, or 0. */
  loginBlockedFor(username: string, ip: string): Promise<number> {
    const account = normalise(username);
    return blockedFor([
      [this.login.accountAndIp, `${account}|${ip}`],
      [this.login.account, account],
      [this.login.ip, ip],
    ]);
  }

  async loginFailed(username: string, ip: string): Promise<void> {
    const account = normalise(username);
    await count([
      [this.login.accountAndIp, `${account}|${ip}`],
      [this.login.account, account],
      [this.login.ip, ip],
    ]);
  }

  /** A success from this address clears that address's failures for the account. */
  async loginSucceeded(username: string, ip: string): Promise<void> {
    await this.login.accountAndIp.delete(`${normalise(username)}|${ip}`).catch(() => undefined);
  }

  clientAuthBlockedFor(clientId: string | undefined, ip: string): Promise<number> {
    return blockedFor([...(clientId ? [[this.clientAuth.client, clientId] as const] : []), [this.clientAuth.ip, ip]]);
  }

  async clientAuthFailed(clientId: string | undefined, ip: string): Promise<void> {
    await count([...(clientId ? [[this.clientAuth.client, clientId] as const] : []), [this.clientAuth.ip, ip]]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}

const normalise = (username: string) => username.trim().toLowerCase().slice(0, 128);

async function blockedFor(checks: readonly (readonly [Limiter, string])[]): Promise<number> {
  let wait = 0;
  for (const [limiter, key] of checks) {
    const state = await limiter.get(key);
    if (state && state.remainingPoints <= 0 && state.msBeforeNext > 0) wait = Math.max(wait, Math.ceil(state.msBeforeNext / 1000));
  }
  return wait;
}

async function count(checks: readonly (readonly [Limiter, string])[]): Promise<void> {
  for (const [limiter, key] of checks) {
    // A rejection only says the budget is spent: the failure is counted either way.
    await limiter.consume(key).catch((result: unknown) => {
      if (!(result instanceof RateLimiterRes)) throw result;
    });
  }
}
