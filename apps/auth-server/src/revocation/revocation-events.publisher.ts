import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { natsConnectionOptions, REVOCATION_SUBJECT } from '@trustline/security';
import { lastValueFrom } from 'rxjs';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import type { RevocationType } from '../database/entities';

export interface RevocationEvent {
  id: number;
  type: RevocationType;
  value: string;
  at: number;
  exp: number;
}

/**
 * Announces each revocation on NATS (`trustline.revocations`, through @nestjs/microservices) when
 * NATS_URL is set, so verifiers pull the feed at once instead of at their next poll. Best effort: the
 * record in the database is the authority, and verifiers that miss an event catch up from the feed.
 */
@Injectable()
export class RevocationEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger('RevocationEvents');
  private readonly client: ClientProxy | undefined;

  constructor(@Inject(AUTH_SERVER_CONFIG) config: AuthServerConfig) {
    this.client = config.natsUrl ? ClientProxyFactory.create({ transport: Transport.NATS, options: { ...natsConnectionOptions(config.natsUrl), name: 'auth-server' } }) : undefined;
  }

  async publish(event: RevocationEvent): Promise<void> {
    if (!this.client) return;
    try {
      await lastValueFrom(this.client.emit(REVOCATION_SUBJECT, event), { defaultValue: undefined });
    } catch (error) {
      this.logger.warn(`revocation ${event.id} not announced (verifiers will pull it): ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}
