import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityModule } from '@trustline/security';
import { DomainErrorFilter, ServiceHealthModule, serviceDataSourceOptions, securityMetrics } from '@trustline/service-runtime';
import { CreateCards1764200000000 } from './database/migrations/1764200000000-create-cards';
import { Card } from './cards/card.entity';
import { CardsModule } from './cards/cards.module';
import type { CardsEnv } from './cards.env';
import { cardsDemoSeed } from './demo-seed';

export const CARDS_AUDIENCE = 'urn:trustline:cards';

@Module({})
export class CardsAppModule {
  static forRoot(env: CardsEnv): DynamicModule {
    // With its own M2M credentials the service also follows the auth server's revocation feed, so a
    // revoked token stops working here within REVOCATION_POLL_MS instead of at its expiry.
    const m2m = env.CLIENT_ID && env.CLIENT_SECRET ? { clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET } : undefined;
    return {
      module: CardsAppModule,
      imports: [
        ServiceHealthModule.forRoot({ database: true, keys: true, natsUrl: env.NATS_URL }),
        SecurityModule.forRoot({
          issuer: env.ISSUER_URL,
          observer: securityMetrics,
          authInternalUrl: env.AUTH_INTERNAL_URL,
          clockToleranceSeconds: env.CLOCK_TOLERANCE_SECONDS,
          audience: CARDS_AUDIENCE,
          ...(m2m ? { m2m, revocationFeed: { pollMs: env.REVOCATION_POLL_MS, natsUrl: env.NATS_URL, maxStalenessSeconds: env.REVOCATION_MAX_STALENESS_SECONDS } } : {}),
        }),
        TypeOrmModule.forRoot({
          ...serviceDataSourceOptions({ name: 'cards', databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, entities: [Card], migrations: [CreateCards1764200000000] }),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        cardsDemoSeed(env.NODE_ENV),
        CardsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
