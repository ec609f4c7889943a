import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityModule } from '@trustline/security';
import { DomainErrorFilter, ServiceHealthModule, serviceDataSourceOptions, securityMetrics } from '@trustline/service-runtime';
import { CreateLoans1764100000000 } from './database/migrations/1764100000000-create-loans';
import { Loan } from './loans/loan.entity';
import { LoansModule } from './loans/loans.module';
import type { LoansEnv } from './loans.env';
import { loansDemoSeed } from './demo-seed';

export const LOANS_AUDIENCE = 'urn:trustline:loans';

@Module({})
export class LoansAppModule {
  static forRoot(env: LoansEnv): DynamicModule {
    // With its own M2M credentials the service also follows the auth server's revocation feed, so a
    // revoked token stops working here within REVOCATION_POLL_MS instead of at its expiry.
    const m2m = env.CLIENT_ID && env.CLIENT_SECRET ? { clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET } : undefined;
    return {
      module: LoansAppModule,
      imports: [
        ServiceHealthModule.forRoot({ database: true, keys: true, natsUrl: env.NATS_URL }),
        SecurityModule.forRoot({
          issuer: env.ISSUER_URL,
          observer: securityMetrics,
          authInternalUrl: env.AUTH_INTERNAL_URL,
          clockToleranceSeconds: env.CLOCK_TOLERANCE_SECONDS,
          audience: LOANS_AUDIENCE,
          ...(m2m ? { m2m, revocationFeed: { pollMs: env.REVOCATION_POLL_MS, natsUrl: env.NATS_URL, maxStalenessSeconds: env.REVOCATION_MAX_STALENESS_SECONDS } } : {}),
        }),
        TypeOrmModule.forRoot({
          ...serviceDataSourceOptions({ name: 'loans', databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, entities: [Loan], migrations: [CreateLoans1764100000000] }),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        loansDemoSeed(env.NODE_ENV),
        LoansModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
