import type { NatsConnection } from 'nats';
import { natsConnectionOptions, natsModule } from '../nats-module';
import type { RevocationFeed } from './revocation-feed';

/** The subject the auth server emits revocations on (CONVENTIONS.md). */
export const REVOCATION_SUBJECT = 'trustline.revocations';

export interface RevocationEventsOptions {
  natsUrl: string;
  feed: RevocationFeed;
  /** A name for the connection (shows in the NATS server's monitoring). */
  name: string;
  onError?: (error: Error) => void;
}

/**
 * Listens for the auth server's revocation events on NATS (a plain subscription, no queue group: every
 * replica of every verifier hears every event) and answers each by pulling the revocation feed at once.
 *
 * The event is a wake-up call, never the authority: anyone able to publish on the broker could
 * otherwise revoke a signing key for every verifier. What is applied comes from the feed, over HTTP with
 * this service's own token, from its cursor; so a missed event, a duplicate or a forged one changes
 * nothing, and a reconnect catches up the same way.
 */
export class RevocationEvents {
  private connection: NatsConnection | undefined;
  private stopped = false;

  constructor(private readonly options: RevocationEventsOptions) {}

  /** Connects in the background (a broker that is down must not keep the service from starting). */
  start(): void {
    void this.run().catch((error: Error) => this.options.onError?.(error));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection?.close().catch(() => undefined);
  }

  get connected(): boolean {
    return Boolean(this.connection && !this.connection.isClosed());
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        this.connection = await natsModule().connect({
          ...natsConnectionOptions(this.options.natsUrl),
          name: this.options.name,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          timeout: 2_000,
        });
        break;
      } catch (error) {
        this.options.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
    const connection = this.connection;
    if (!connection || this.stopped) return;
    connection.subscribe(REVOCATION_SUBJECT, { callback: () => void this.options.feed.nudge() });
    // Events sent while we were away are in the feed: pull once connected, and after every reconnect.
    void this.options.feed.nudge();
    for await (const status of connection.status()) {
      if (status.type === natsModule().Events.Reconnect) void this.options.feed.nudge();
    }
  }
}
