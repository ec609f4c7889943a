import type { RemoteKeyStore } from '../keys/remote-key-store';
import { type ClientCredentialsTokenClient, TokenRequestError } from '../m2m/client-credentials-token-client';
import type { Denylist, RevocationEntry } from './denylist';
import { LookbackCursor } from './lookback-cursor';

/** How one pull of the feed ended: read to the end, refused by a live auth server, or no answer at all. */
export type RevocationFeedOutcome = 'ok' | 'refused' | 'unreachable';

/** What the feed reports for metrics (service-runtime binds it to Prometheus). */
export interface RevocationFeedObserver {
  pull?(outcome: RevocationFeedOutcome): void;
  /** Seconds since the last complete catch-up (since start-up before the first one). */
  staleness?(seconds: number): void;
}

export interface RevocationFeedLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RevocationFeedOptions {
  /** Where the auth server is reached (AUTH_INTERNAL_URL). */
  authInternalUrl: string;
  /** Poll period without a broker (REVOCATION_POLL_MS, default 1000). */
  pollMs: number;
  tokens: ClientCredentialsTokenClient;
  denylist: Denylist;
  keys: RemoteKeyStore;
  fetch: typeof fetch;
  onApplied?: (entry: RevocationEntry) => void;
  /** Refused this long (the auth server answers, and says no): not ready. Default 3 poll periods, at least 1 s. */
  refusedGraceMs?: number;
  /** Unreachable this long since the last complete catch-up: not ready (REVOCATION_MAX_STALENESS_SECONDS; default 300 s). */
  maxStalenessMs?: number;
  /** Ids drawn this long before a pull may still commit after it: read again (default 10 s). See LookbackCursor. */
  lookbackMs?: number;
  observer?: RevocationFeedObserver;
  logger?: RevocationFeedLogger;
  clock?: () => number;
}

export interface RevocationFeedStatus {
  /** False: take this replica out of service (readiness). */
  ready: boolean;
  /** `catching_up` until the first complete catch-up; `refused` / `stale` while pulls fail. */
  state: 'catching_up' | 'synced' | 'refused' | 'stale';
  stalenessSeconds: number;
}

/** 4xx from the auth server: it is up and refuses this verifier (credentials, scope, rate limit). */
class FeedRefused extends Error {}

export const DEFAULT_MAX_STALENESS_MS = 300_000;
const FEED_AUDIENCE = 'urn:trustline:auth';
const FEED_SCOPE = ['revocations:read'];
const TYPES = new Set(['jti', 'grant', 'sub', 'client', 'kid']);
const MAX_PAGES = 10_000;
const MAX_REFUSED_BACKOFF_MS = 30_000;

/**
 * Pulls the auth server's revocation feed (`GET /revocations?since=<cursor>`) with this service's own
 * M2M token and applies each entry to the denylist (a `kid` entry drops the key at once). It catches up
 * from its cursor before the service serves and then polls; an event broker can push entries through
 * `apply` too, and the cursor makes a missed event harmless.
 *
 * Failing pulls are told apart (CONVENTIONS.md, docs/security-model.md):
 * - refused (the token request or the feed answers 4xx, 429 included): someone cut this verifier off,
 *   so revocations may be happening that it cannot see. Logged, counted, and not ready after
 *   `refusedGraceMs`: fail closed. It asks again less and less often (up to every 30 s).
 * - unreachable (no answer, or 5xx): nothing can be revoked while the auth server is down, so the
 *   tokens already issued keep verifying on the last state; logged, the staleness is a gauge, and not
 *   ready only past `maxStalenessMs`. When the auth server returns, the next pull reads every page.
 * A new replica is not ready until its first complete catch-up.
 */
export class RevocationFeed {
  private readonly cursor: LookbackCursor;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private syncedOnce = false;
  private nudged = false;
  private readonly clock: () => number;
  private readonly startedAt: number;
  private lastSyncAt: number | undefined;
  private failure: { outcome: 'refused' | 'unreachable'; since: number; reason: string } | undefined;
  private refusedSince: number | undefined;
  private alarmed = false;
  /** While refused, polls back off (a disabled client must not trip the auth server's limits by itself). */
  private refusals = 0;
  private nextPollAt = 0;

  constructor(private readonly options: RevocationFeedOptions) {
    this.clock = options.clock ?? Date.now;
    this.startedAt = this.clock();
    this.cursor = new LookbackCursor(options.lookbackMs ?? 10_000, this.clock);
  }

  get synced(): boolean {
    return this.syncedOnce;
  }

  private get refusedGraceMs(): number {
    return this.options.refusedGraceMs ?? Math.max(1_000, 3 * this.options.pollMs);
  }

  private get maxStalenessMs(): number {
    return this.options.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS;
  }

  /** Readiness of this verifier as far as revocations go. */
  status(): RevocationFeedStatus {
    const now = this.clock();
    const stalenessMs = now - (this.lastSyncAt ?? this.startedAt);
    const stalenessSeconds = Math.floor(stalenessMs / 1000);
    if (!this.syncedOnce) return { ready: false, state: 'catching_up', stalenessSeconds };
    if (this.refusedSince !== undefined) return { ready: now - this.refusedSince < this.refusedGraceMs, state: 'refused', stalenessSeconds };
    if (this.failure) return { ready: stalenessMs <= this.maxStalenessMs, state: 'stale', stalenessSeconds };
    return { ready: true, state: 'synced', stalenessSeconds };
  }

  /** Reads every page after the cursor; throws (after recording why) when the auth server refuses or does not answer. */
  async catchUp(): Promise<void> {
    const startedAt = this.clock();
    let since = this.cursor.start;
    let applied = 0;
    try {
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const body = await this.page(since);
        for (const entry of body.entries) this.apply(entry);
        applied += body.entries.length;
        const advanced = body.cursor > since;
        since = Math.max(since, body.cursor);
        // Keep paging while the cursor moves, even past pages whose rows had all expired.
        if (!advanced || body.more === false) break;
      }
    } catch (error) {
      this.failed(error);
      throw error;
    }
    this.cursor.completed(startedAt, since);
    this.succeeded(applied);
  }

  private async page(since: number): Promise<{ entries: unknown[]; cursor: number; more?: boolean }> {
    let authorization: string;
    try {
      authorization = await this.options.tokens.authorization(FEED_AUDIENCE, FEED_SCOPE);
    } catch (error) {
      if (error instanceof TokenRequestError && error.status >= 400 && error.status < 500) {
        throw new FeedRefused(`token request answered ${error.status} ${error.error}`);
      }
      throw error;
    }
    const response = await this.options.fetch(`${this.options.authInternalUrl}/revocations?since=${since}`, {
      headers: { authorization, accept: 'application/json' },
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status === 401) this.options.tokens.invalidate(FEED_AUDIENCE, FEED_SCOPE);
    if (response.status >= 400 && response.status < 500) {
      await response.body?.cancel();
      throw new FeedRefused(`feed answered ${response.status}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`feed answered ${response.status}`);
    }
    const body = (await response.json().catch(() => undefined)) as { entries?: unknown[]; cursor?: unknown; more?: unknown } | undefined;
    if (!body || !Array.isArray(body.entries) || typeof body.cursor !== 'number') throw new FeedRefused('feed answered an unexpected shape');
    return { entries: body.entries, cursor: body.cursor, more: typeof body.more === 'boolean' ? body.more : undefined };
  }

  private succeeded(applied: number): void {
    const now = this.clock();
    const previous = this.failure;
    const previousSync = this.lastSyncAt ?? this.startedAt;
    this.lastSyncAt = now;
    this.failure = undefined;
    this.refusedSince = undefined;
    this.alarmed = false;
    this.refusals = 0;
    this.nextPollAt = 0;
    if (!this.syncedOnce) this.options.logger?.log(`revocation feed caught up (${applied} live entries)`);
    else if (previous)
      this.options.logger?.log(
        `revocation feed caught up again after ${Math.round((now - previousSync) / 1000)} s without a complete pull (${previous.outcome}; ${applied} entries read)`,
      );
    this.syncedOnce = true;
    this.options.observer?.pull?.('ok');
    this.options.observer?.staleness?.(0);
  }

  private failed(error: unknown): void {
    const now = this.clock();
    const outcome = error instanceof FeedRefused ? 'refused' : 'unreachable';
    const reason = error instanceof Error ? describe(error) : 'unknown error';
    this.options.observer?.pull?.(outcome);
    if (outcome === 'refused') {
      this.refusedSince ??= now;
      this.refusals += 1;
      this.nextPollAt = now + Math.min(MAX_REFUSED_BACKOFF_MS, this.options.pollMs * 2 ** (this.refusals - 1));
    }
    if (this.failure?.outcome !== outcome || this.failure.reason !== reason) {
      const stale = Math.round((now - (this.lastSyncAt ?? this.startedAt)) / 1000);
      if (outcome === 'refused') {
        this.options.logger?.error(
          `revocation feed refused (${reason}): this verifier cannot see revocations; not ready in ${Math.max(0, Math.ceil((this.refusedSince! + this.refusedGraceMs - now) / 1000))} s unless it recovers`,
        );
      } else {
        this.options.logger?.warn(
          `auth server unreachable for the revocation feed (${reason}): serving on the revocation state of ${stale} s ago; not ready past ${Math.round(this.maxStalenessMs / 1000)} s`,
        );
      }
      this.failure = { outcome, since: this.failure?.since ?? now, reason };
    }
    this.check();
  }

  /** Logs once when readiness turns false, and reports the staleness. */
  private check(): void {
    const status = this.status();
    this.options.observer?.staleness?.((this.clock() - (this.lastSyncAt ?? this.startedAt)) / 1000);
    if (status.ready || this.alarmed || !this.failure) return;
    this.alarmed = true;
    this.options.logger?.error(
      status.state === 'refused'
        ? `revocation feed refused for more than ${Math.round(this.refusedGraceMs / 1000)} s: not ready`
        : `revocation state ${status.stalenessSeconds} s old, past the maximum of ${Math.round(this.maxStalenessMs / 1000)} s: not ready`,
    );
  }

  /** Applies one entry (from the feed or a broker event); malformed entries are ignored. */
  apply(entry: unknown): void {
    const candidate = entry as Partial<RevocationEntry> | null;
    if (!candidate || !TYPES.has(String(candidate.type)) || typeof candidate.value !== 'string' || typeof candidate.at !== 'number' || typeof candidate.exp !== 'number') return;
    const valid = candidate as RevocationEntry;
    this.options.denylist.add(valid);
    if (valid.type === 'kid') this.options.keys.dropKey(valid.value);
    this.options.onApplied?.(valid);
  }

  /**
   * Pulls now (a broker said something was revoked, or the connection came back). Coalesced: one pull
   * at a time, and one more after it if nudged meanwhile, so a burst of events costs two requests.
   */
  nudge(): Promise<void> {
    if (this.polling) {
      this.nudged = true;
      return this.polling;
    }
    this.polling = this.catchUp()
      .catch(() => undefined)
      .finally(() => {
        this.polling = undefined;
        if (this.nudged) {
          this.nudged = false;
          void this.nudge();
        }
      });
    return this.polling;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // One poll at a time; a slow auth server never stacks requests; a refused one is asked less and less often.
      if (!this.polling && this.clock() >= this.nextPollAt) void this.nudge();
      this.options.denylist.prune();
      this.check();
    }, this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Why a pull failed, without anything secret (no token, no header): the message and a network code. */
function describe(error: Error): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${error.message}: ${code}` : error.message;
}
