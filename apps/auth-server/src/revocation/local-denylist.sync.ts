import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Denylist, LookbackCursor, RemoteKeyStore } from '@trustline/security';
import { FEED_PAGE_SIZE, RevocationsService } from './revocations.service';

/** How often this process reads revocations that other replicas (or the CLI) recorded. */
const SYNC_MS = 1_000;
/** Ids drawn this long before a read may still commit after it (another replica's insert): read again. */
const LOOKBACK_MS = 10_000;

/**
 * The auth server's own APIs (admin, revocation feed) verify tokens through @trustline/security like
 * any service, so they must refuse revoked tokens too. Other verifiers pull the feed over HTTP; the
 * auth server reads the same table directly, from a cursor: a revoked administrator token stops working
 * here as fast as everywhere else. Like the verifiers' feed it re-reads a look-back window, since
 * another replica's revocation can commit after a higher id this process has already read.
 */
@Injectable()
export class LocalDenylistSync implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LocalDenylistSync');
  private readonly cursor = new LookbackCursor(LOOKBACK_MS);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly revocations: RevocationsService,
    private readonly denylist: Denylist,
    private readonly keys: RemoteKeyStore,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync().catch((error: Error) => this.logger.warn(`revocation sync failed: ${error.message}`)), SYNC_MS);
    this.timer.unref();
  }

  /** Reads every entry after the cursor (called on the timer, and right after this process records one). */
  sync(): Promise<void> {
    this.running ??= (async () => {
      try {
        const startedAt = Date.now();
        let since = this.cursor.start;
        for (;;) {
          const rows = await this.revocations.since(since);
          for (const row of rows) {
            this.denylist.add({ type: row.type, value: row.value, at: row.at, exp: row.exp });
            if (row.type === 'kid') this.keys.dropKey(row.value);
          }
          if (rows.length) since = Number(rows[rows.length - 1].id);
          if (rows.length < FEED_PAGE_SIZE) break;
        }
        this.cursor.completed(startedAt, since);
        this.denylist.prune();
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
