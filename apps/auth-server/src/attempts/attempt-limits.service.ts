import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type IRateLimiterOptions, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';

type Limiter = RateLimiterMemory | RateLimiterRedis;
type Check = readonly [Limiter, string];

/** Which limit refused an attempt: the address (alone or with the account or client), or the account's slowdown. */
export type AttemptLimit = 'address' | 'account';

/** One attempt, already counted: refused (`wait` > 0) or to be evaluated now. */
export interface Attempt {
  /** Seconds until an attempt like this one may be tried again; 0: evaluate it. */
  readonly wait: number;
  readonly limit?: AttemptLimit;
  /** The attempt turned out to be right: the points it took are given back. */
  succeeded(): Promise<void>;
}

const refused = (wait: number, limit: AttemptLimit): Attempt => ({ wait, limit, succeeded: async () => undefined });

/**
 * Brute-force protection (rate-limiter-flexible, in Redis when there is one so that every replica
 * shares the budget). Every attempt takes its point *before* it is evaluated, atomically (one INCR in
 * Redis, one synchronous step in memory): of any number of concurrent guesses, no more than the limit
 * reach the password hash or the secret comparison. A success gives its points back and clears the
 * failures of its (account or client, address).
 *
 * Logins: per (account, address) and per address, a hard limit for the window; per account from
 * anywhere, past its budget, a slowdown (one evaluation per LOGIN_ACCOUNT_SLOWDOWN_SECONDS), never a
 * lockout: an attacker elsewhere cannot keep the real user out for the window. Failed client
 * authentication: per (client, address) and per address, never per client alone (a client's secret is
 * a 256-bit random value; a per-client lockout would only let anyone lock the client out).
 *
 * The address is the one TRUST_PROXY_HOPS derives. Typed usernames are keyed by an HMAC under a
 * server secret: a password typed into the username field never lands in Redis. Unknown names are
 * counted like known ones, so the answers never reveal which accounts exist.
 */
@Injectable()
export class AttemptLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis | undefined;
  private readonly login: { accountAndIp: Limiter; ip: Limiter; account: Limiter; accountSlowdown: Limiter };
  private readonly clientAuth: { clientAndIp: Limiter; ip: Limiter };
  private readonly authorization: Limiter;
  private readonly accountKeySecret: Buffer;
  private readonly accountBudget: number;

  constructor(@Inject(AUTH_SERVER_CONFIG) config: AuthServerConfig) {
    const limits = config.attempts;
    this.redis = config.redisUrl
      ? new Redis(config.redisUrl, { keyPrefix: config.redisKeyPrefix, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000 })
      : undefined;
    const limiter = (keyPrefix: string, points: number, duration: number, blockDuration = duration): Limiter => {
      const options: IRateLimiterOptions = { keyPrefix, points, duration, blockDuration };
      // If Redis fails, this process keeps counting on its own rather than letting guesses through uncounted.
      return this.redis ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) }) : new RateLimiterMemory(options);
    };
    this.login = {
      accountAndIp: limiter('login-account-ip', limits.loginPerAccountAndIp, limits.loginWindowSeconds),
      ip: limiter('login-ip', limits.loginPerIp, limits.loginWindowSeconds),
      // Counts only (no block): past the budget the slowdown below decides.
      account: limiter('login-account', limits.loginPerAccount, limits.loginWindowSeconds, 0),
      accountSlowdown: limiter('login-account-slow', 1, limits.loginAccountSlowdownSeconds, 0),
    };
    this.accountBudget = limits.loginPerAccount;
    this.clientAuth = {
      clientAndIp: limiter('client-auth-client-ip', limits.clientAuthPerClientAndIp, limits.clientAuthWindowSeconds),
      ip: limiter('client-auth-ip', limits.clientAuthPerIp, limits.clientAuthWindowSeconds),
    };
    this.authorization = limiter('authorization-ip', limits.authorizationPerIp, limits.authorizationWindowSeconds, 0);
    // Every replica derives the same key from the shared secret, so they count the same names together.
    this.accountKeySecret = Buffer.from(hkdfSync('sha256', config.keyEncryptionSecret ?? randomBytes(32), 'trustline', 'attempt-limit-keys', 32));
  }

  /** Connects before the server serves (until then the in-memory insurance limiter counts). */
  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    await Promise.race([this.redis.connect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  /** Counts a sign-in attempt before the password is checked; `succeeded()` once it was right. */
  async beginLogin(username: string, ip: string): Promise<Attempt> {
    const account = this.accountKey(username);
    const pair: Check = [this.login.accountAndIp, `${account}|${address(ip)}`];
    const perIp: Check = [this.login.ip, address(ip)];
    const perAccount: Check = [this.login.account, account];
    const first = await consumeAll([pair, perIp]);
    if (first.wait > 0) return refused(first.wait, 'address');
    const counted = await countOn(perAccount);
    if (counted > this.accountBudget) {
      const slot = await consumeAll([[this.login.accountSlowdown, account]]);
      if (slot.wait > 0) {
        // Not evaluated: it costs the account and the address nothing.
        await giveBack([pair, perIp, perAccount]);
        return refused(slot.wait, 'account');
      }
    }
    return {
      wait: 0,
      succeeded: () => succeed(pair, [perIp, perAccount]),
    };
  }

  /** Counts a client authentication at the token endpoints before it is evaluated (whatever its method). */
  async beginClientAuth(clientId: string | undefined, ip: string): Promise<Attempt> {
    const checks: Check[] = [
      [this.clientAuth.clientAndIp, `${(clientId ?? '-').slice(0, 128)}|${address(ip)}`],
      [this.clientAuth.ip, address(ip)],
    ];
    const { wait } = await consumeAll(checks);
    if (wait > 0) return refused(wait, 'address');
    return { wait: 0, succeeded: () => succeed(checks[0], [checks[1]]) };
  }

  /** Seconds until this address may send another authorization request, or 0 (counted now). */
  async authorizationWait(ip: string): Promise<number> {
    return (await consumeAll([[this.authorization, address(ip)]])).wait;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }

  private accountKey(username: string): string {
    return createHmac('sha256', this.accountKeySecret).update(username.trim().toLowerCase().slice(0, 128)).digest('base64url');
  }
}

/** An address as a key (a forwarded value is whatever the outermost trusted proxy wrote: bounded). */
const address = (ip: string) => ip.slice(0, 64);

const secondsOf = (result: RateLimiterRes) => Math.max(1, Math.ceil(result.msBeforeNext / 1000));

/**
 * Takes one point on each limiter in turn, the narrowest first, and stops at the first that refuses:
 * the points already taken are given back (the attempt is not evaluated), and a refusal by a narrow
 * limit never spends (or trips the block of) a broader one, however many attempts arrive at once.
 */
async function consumeAll(checks: readonly Check[]): Promise<{ wait: number }> {
  for (const [index, [limiter, key]] of checks.entries()) {
    try {
      await limiter.consume(key);
    } catch (refusal) {
      await giveBack(checks.slice(0, index));
      // No store answered at all (Redis and the insurance limiter): refuse rather than evaluate uncounted.
      if (!(refusal instanceof RateLimiterRes)) throw refusal instanceof Error ? refusal : new Error('attempt limits unavailable');
      return { wait: secondsOf(refusal) };
    }
  }
  return { wait: 0 };
}

/** Takes a point and returns how many were taken in the window, the new one included (never refuses). */
async function countOn([limiter, key]: Check): Promise<number> {
  try {
    return (await limiter.consume(key)).consumedPoints;
  } catch (result) {
    if (result instanceof RateLimiterRes) return result.consumedPoints;
    throw result;
  }
}

/** A success from this address clears its failures for that account or client, and gives back the broader points. */
async function succeed([limiter, key]: Check, broader: readonly Check[]): Promise<void> {
  await Promise.all([limiter.delete(key).catch(() => undefined), giveBack(broader)]);
}

async function giveBack(checks: readonly Check[]): Promise<void> {
  await Promise.all(checks.map(([limiter, key]) => limiter.reward(key).catch(() => undefined)));
}
