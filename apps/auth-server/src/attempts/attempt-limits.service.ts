import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type IRateLimiterOptions, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { attemptStoreErrors } from '../auth-metrics';
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
  /** The attempt was wrong: its point stays taken, and it counts as a failure. */
  failed(): Promise<void>;
  /** The attempt was never decided (the request failed elsewhere): its point is given back, no failure. */
  abandoned(): Promise<void>;
}

const nothing = async () => undefined;

/**
 * The client authentication being evaluated in this request, if any: the engine's secret comparison
 * settles it as soon as the secret matched, so a right attempt holds its point for the comparison only,
 * not for the whole grant (signing, storing) that follows.
 */
export const clientAuthentication = new AsyncLocalStorage<Attempt>();
const refused = (wait: number, limit: AttemptLimit): Attempt => ({ wait, limit, succeeded: nothing, failed: nothing, abandoned: nothing });

/**
 * A failure budget whose attempts are counted before they are evaluated, for callers that may send many
 * right attempts at once (a service's client authentications): `held` counts the attempts in flight and
 * the failures (taken first, atomically, no block), `failed` the failures alone. When `held` is spent by
 * attempts still being evaluated rather than by failures, a new attempt waits for one of them to finish
 * instead of being refused: a burst of right secrets is served however large, while of any number of
 * concurrent wrong ones no more than the budget are evaluated.
 */
interface FailureBudget {
  held: Limiter;
  failed: Limiter;
  points: number;
}

/** How long an attempt waits for attempts in flight to finish before it is refused (it never waits on failures). */
const IN_FLIGHT_WAIT_MS = 2_000;
/** How often a waiting attempt looks again without being woken (attempts finishing on another replica). */
const IN_FLIGHT_RECHECK_MS = 25;

/**
 * Attempts waiting for a budget spent by attempts in flight: woken, one at a time, the moment one of this
 * process's attempts on the same key finishes, so a burst runs at the budget's width without idle gaps.
 */
class InFlightWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  turn(keys: readonly string[], deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        for (const key of keys) {
          const set = this.waiting.get(key);
          set?.delete(wake);
          if (set?.size === 0) this.waiting.delete(key);
        }
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, Math.min(IN_FLIGHT_RECHECK_MS, deadline - Date.now())));
      for (const key of keys) {
        let set = this.waiting.get(key);
        if (!set) this.waiting.set(key, (set = new Set()));
        set.add(wake);
      }
    });
  }

  finished(keys: readonly string[]): void {
    for (const key of keys) {
      const set = this.waiting.get(key);
      const next = set?.values().next().value;
      if (next) next();
    }
  }
}

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
 * a 256-bit random value; a per-client lockout would only let anyone lock the client out). A service
 * sends many right secrets at once, so there the budget tells attempts in flight from failures
 * (FailureBudget): a burst waits for its own attempts instead of being refused as if they had failed.
 *
 * The address is the one TRUST_PROXY_HOPS derives. Typed usernames are keyed by an HMAC under a
 * server secret: a password typed into the username field never lands in Redis. Unknown names are
 * counted like known ones, so the answers never reveal which accounts exist.
 */
@Injectable()
export class AttemptLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis | undefined;
  private readonly login: { accountAndIp: Limiter; ip: Limiter; account: Limiter; accountSlowdown: Limiter };
  private readonly clientAuth: { clientAndIp: FailureBudget; ip: FailureBudget };
  private readonly authorization: Limiter;
  private readonly inFlight = new InFlightWaiters();
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
    const budget = (keyPrefix: string, points: number, duration: number): FailureBudget => ({
      held: limiter(`${keyPrefix}-held`, points, duration, 0),
      failed: limiter(`${keyPrefix}-failed`, points, duration, 0),
      points,
    });
    this.clientAuth = {
      clientAndIp: budget('client-auth-client-ip', limits.clientAuthPerClientAndIp, limits.clientAuthWindowSeconds),
      ip: budget('client-auth-ip', limits.clientAuthPerIp, limits.clientAuthWindowSeconds),
    };
    this.authorization = limiter('authorization-ip', limits.authorizationPerIp, limits.authorizationWindowSeconds, 0);
    // Every replica derives the same key from the shared secret, so they count the same names together.
    this.accountKeySecret = Buffer.from(hkdfSync('sha256', config.keyEncryptionSecret ?? randomBytes(32), 'trustline', 'attempt-limit-keys', 32));
  }

  /** Connects before the server serves (until then the in-memory insurance limiter counts). */
  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    await Promise.race([this.redis.connect().catch(storeFailed('connect')), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
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
      failed: nothing,
      abandoned: () => giveBack([pair, perIp, perAccount]),
    };
  }

  /** Counts a client authentication at the token endpoints before it is evaluated (whatever its method). */
  async beginClientAuth(clientId: string | undefined, ip: string, presents: 'credential' | 'no credential' = 'credential'): Promise<Attempt> {
    const budgets: [FailureBudget, string][] = [
      [this.clientAuth.clientAndIp, `${(clientId ?? '-').slice(0, 128)}|${address(ip)}`],
      [this.clientAuth.ip, address(ip)],
    ];
    if (presents === 'no credential') {
      // A public client (`none`) presents nothing to guess: no point is held while it is evaluated; a
      // failure (an unknown or confidential client id) still counts, and spent budgets still refuse.
      const failures = await failureWait(budgets);
      if (failures > 0) return refused(failures, 'address');
      return {
        wait: 0,
        succeeded: nothing,
        failed: async () => {
          await Promise.all(budgets.flatMap(([budget, key]) => [countOn([budget.held, key]), countOn([budget.failed, key])]));
        },
        abandoned: nothing,
      };
    }
    const held: Check[] = budgets.map(([budget, key]) => [budget.held, key]);
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    for (;;) {
      const { wait } = await consumeAll(held);
      if (wait === 0) break;
      // Spent by failures: refused for as long as they count. Spent by attempts in flight: wait for one.
      const failures = await failureWait(budgets);
      if (failures > 0) return refused(failures, 'address');
      if (Date.now() >= deadline) return refused(1, 'address');
      await this.inFlight.turn(
        budgets.map(([, key]) => key),
        deadline,
      );
    }
    const [pair] = budgets;
    // The first outcome settles the attempt; later ones (the response after an early success) do nothing.
    let settled = false;
    const done = (work: () => Promise<unknown>) => async () => {
      if (settled) return;
      settled = true;
      await work().finally(() => this.inFlight.finished(budgets.map(([, key]) => key)));
    };
    return {
      wait: 0,
      // A right secret clears that client's failures from this address and gives the address its point back.
      succeeded: done(() =>
        Promise.all([pair[0].held.delete(pair[1]).catch(storeFailed('delete')), pair[0].failed.delete(pair[1]).catch(storeFailed('delete')), giveBack([held[1]])]),
      ),
      failed: done(() => Promise.all(budgets.map(([budget, key]) => countOn([budget.failed, key])))),
      abandoned: done(() => giveBack(held)),
    };
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

const logger = new Logger('AttemptLimits');

/**
 * A give-back or clear the store refused (Redis down; the insurance limiter counts meanwhile). It fails
 * closed, since the point stays taken, but it must not pass unseen: logged (never the key, which names
 * a client and an address) and counted.
 */
const storeFailed = (operation: 'connect' | 'delete' | 'reward') => (error: unknown) => {
  attemptStoreErrors.inc({ operation });
  logger.warn(`attempt-limit store failed to ${operation}: ${error instanceof Error ? error.message : String(error)}`);
};

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

/** Seconds until the failures alone stop spending one of these budgets, or 0 if none is spent by failures. */
async function failureWait(budgets: readonly (readonly [FailureBudget, string])[]): Promise<number> {
  let wait = 0;
  for (const [budget, key] of budgets) {
    const state = await budget.failed.get(key);
    if (state && state.consumedPoints >= budget.points) wait = Math.max(wait, secondsOf(state));
  }
  return wait;
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
  await Promise.all([limiter.delete(key).catch(storeFailed('delete')), giveBack(broader)]);
}

async function giveBack(checks: readonly Check[]): Promise<void> {
  await Promise.all(checks.map(([limiter, key]) => limiter.reward(key).catch(storeFailed('reward'))));
}
