import { type DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { SecurityModule } from '@trustline/security';
import { ServiceHealthModule, securityMetrics } from '@trustline/service-runtime';
import type { Redis } from 'ioredis';
import type { GatewayEnv } from './gateway.env';
import { callerThrottlerOptions } from './rate-limits';
import { GATEWAY_ENV } from './gateway.tokens';
import { PortalModule } from './portal/portal.module';
import { RelayModule } from './relay/relay.module';
import { audienceOf, GATEWAY_SERVICES } from './relay/routes';

@Module({})
export class GatewayAppModule {
  static forRoot(env: GatewayEnv, redis?: Redis): DynamicModule {
    const m2m = env.CLIENT_ID && env.CLIENT_SECRET ? { clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET } : undefined;
    return {
      module: GatewayAppModule,
      global: true,
      imports: [
        ServiceHealthModule.forRoot({ database: false, keys: true, natsUrl: env.NATS_URL }),
        // No audience of its own: the three services' audiences, one required per route (@Audience).
        SecurityModule.forRoot({
          issuer: env.ISSUER_URL,
          observer: securityMetrics,
          authInternalUrl: env.AUTH_INTERNAL_URL,
          clockToleranceSeconds: env.CLOCK_TOLERANCE_SECONDS,
          audience: GATEWAY_SERVICES.map(({ service }) => audienceOf(service)),
          ...(m2m ? { m2m, revocationFeed: { pollMs: env.REVOCATION_POLL_MS, natsUrl: env.NATS_URL, maxStalenessSeconds: env.REVOCATION_MAX_STALENESS_SECONDS } } : {}),
        }),
        ThrottlerModule.forRoot(callerThrottlerOptions(env, redis)),
        RelayModule,
        PortalModule,
      ],
      providers: [{ provide: GATEWAY_ENV, useValue: env }],
      exports: [GATEWAY_ENV],
    };
  }
}
