import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { WriteSerializer } from '@trustline/service-runtime';
import type { Repository } from 'typeorm';
import { purgedRows } from '../auth-metrics';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { TypeOrmOidcAdapter } from '../oidc/typeorm-adapter';
import { RevocationsService } from '../revocation/revocations.service';
import { OidcPayloadEntity } from './entities';

/**
 * Deletes what has expired, every PURGE_INTERVAL_SECONDS (and once at start-up): revocation entries past
 * their `exp`, and the engine's rows (interactions, sessions, codes, grants, refresh tokens…) past their
 * expiry. Without it every anonymous `GET /auth` would leave a row for ever. Each replica runs it; the
 * deletes are idempotent. Counted in trustline_expired_rows_purged_total.
 */
@Injectable()
export class ExpiryPurge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryPurge');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
    private readonly revocations: RevocationsService,
    @InjectRepository(OidcPayloadEntity) private readonly payloads: Repository<OidcPayloadEntity>,
    private readonly writes: WriteSerializer,
  ) {}

  onModuleInit(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.config.purgeIntervalSeconds * 1000);
    this.timer.unref();
  }

  /** One purge (one at a time); failures are logged and retried at the next interval. */
  run(): Promise<void> {
    this.running ??= (async () => {
      try {
        const revocations = await this.revocations.purgeExpired();
        const payloads = await TypeOrmOidcAdapter.purgeExpired(this.payloads, this.writes);
        purgedRows.inc({ table: 'revocations' }, revocations);
        purgedRows.inc({ table: 'oidc_payloads' }, payloads);
        if (revocations + payloads > 0) this.logger.log(`purged ${revocations} expired revocations and ${payloads} expired engine rows`);
      } catch (error) {
        this.logger.warn(`expiry purge failed: ${(error as Error).message}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
