import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityModule } from '@trustline/security';
import { DomainErrorFilter, ServiceHealthModule, serviceDataSourceOptions, securityMetrics } from '@trustline/service-runtime';
import { Account } from './accounts/account.entity';
import { AccountsModule } from './accounts/accounts.module';
import { type AccountsEnv, parseTcpUrl } from './accounts.env';
import { CustomerDetailsModule } from './customer-details/customer-details.module';
import { CreateAccounts1764300000000 } from './database/migrations/1764300000000-create-accounts';
import { accountsDemoSeed } from './demo-seed';

export const ACCOUNTS_AUDIENCE = 'urn:trustline:accounts';

@Module({})
export class AccountsAppModule {
  static forRoot(env: AccountsEnv): DynamicModule {
    // With its own M2M credentials the service also follows the auth server's revocation feed, so a
    // revoked token stops working here within REVOCATION_POLL_MS instead of at its expiry, and it can
    // gather customer details from loans and cards (without them that one route answers 503).
    const m2m = env.CLIENT_ID && env.CLIENT_SECRET ? { clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET } : undefined;
    // The schema has already checked the URL's shape.
    const cardsRpc = parseTcpUrl(env.CARDS_RPC_URL) as { host: string; port: number };
    return {
      module: AccountsAppModule,
      imports: [
        ServiceHealthModule.forRoot({ database: true, keys: true, natsUrl: env.NATS_URL }),
        SecurityModule.forRoot({
          issuer: env.ISSUER_URL,
          observer: securityMetrics,
          authInternalUrl: env.AUTH_INTERNAL_URL,
          clockToleranceSeconds: env.CLOCK_TOLERANCE_SECONDS,
          audience: ACCOUNTS_AUDIENCE,
          ...(m2m ? { m2m, revocationFeed: { pollMs: env.REVOCATION_POLL_MS, natsUrl: env.NATS_URL, maxStalenessSeconds: env.REVOCATION_MAX_STALENESS_SECONDS } } : {}),
        }),
        TypeOrmModule.forRoot({
          ...serviceDataSourceOptions({ name: 'accounts', databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, entities: [Account], migrations: [CreateAccounts1764300000000] }),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        accountsDemoSeed(env.NODE_ENV),
        AccountsModule,
        CustomerDetailsModule.forRoot({
          loansUrl: env.LOANS_URL,
          cards: env.NATS_URL ? { transport: 'nats', url: env.NATS_URL } : { transport: 'tcp', ...cardsRpc },
        }),
      ],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
