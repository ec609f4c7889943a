import type { RemoteKeyStore } from '../keys/remote-key-store';
import type { ClientCredentialsTokenClient } from '../m2m/client-credentials-token-client';
import type { Denylist, RevocationEntry } from './denylist';

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
}

const FEED_AUDIENCE = 'urn:trustline:auth';
const FEED_SCOPE = ['revocations:read'];
const TYPES = new Set(['jti', 'grant', 'sub', 'client', 'kid']);

/**
 * Pulls the auth server's revocation feed (`GET /revocations?since=<cursor>`) with this service's own
 * M2M token and applies each entry to the denylist (a `kid` entry drops the key at once). It catches up
 * from its cursor before the service serves and then polls; an event broker can push entries through
 * `apply` too, and the cursor makes a missed event harmless.
 */
export class RevocationFeed {
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private syncedOnce = false;
  private nudged = false;

  constructor(private readonly options: RevocationFeedOptions) {}

  get synced(): boolean {
    return this.syncedOnce;
  }

  /** Reads every page after the cursor. */
  async catchUp(): Promise<void> {
    for (let page = 0; page < 100; page += 1) {
      const authorization = await this.options.tokens.authorization(FEED_AUDIENCE, FEED_SCOPE);
      const response = await this.options.fetch(`${this.options.authInternalUrl}/revocations?since=${this.cursor}`, {
        headers: { authorization, accept: 'application/json' },
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status === 401) this.options.tokens.invalidate(FEED_AUDIENCE, FEED_SCOPE);
      if (!response.ok) throw new Error(`revocation feed answered ${response.status}`);
      const body = (await response.json()) as { entries?: unknown[]; cursor?: unknown };
      if (!Array.isArray(body.entries) || typeof body.cursor !== 'number') throw new Error('revocation feed answered an unexpected shape');
      for (const entry of body.entries) this.apply(entry);
      const advanced = body.cursor > this.cursor;
      this.cursor = Math.max(this.cursor, body.cursor);
      if (!advanced || body.entries.length === 0) break;
    }
    this.syncedOnce = true;
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
      // One poll at a time; a slow auth server never stacks requests.
      if (!this.polling) void this.nudge();
      this.options.denylist.prune();
    }, this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
