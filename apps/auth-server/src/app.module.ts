import { type DynamicModule, Module } from '@nestjs/common';
import { AdminController } from './admin/admin.controller';
import { AdminKeysController } from './admin/admin-keys.controller';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from './config/auth-server.config';
import { DatabaseModule } from './database/database.module';
import { ExpiryPurge } from './database/expiry-purge.service';
import { InteractionModule } from './interaction/interaction.module';
import { OidcModule } from './oidc/oidc.module';
import { DemoSeedService } from './seed/demo-seed.service';
import { DemoIdentitiesService } from './seed/demo-identities.service';
import { LocalDenylistSync } from './revocation/local-denylist.sync';
import { RevocationsController } from './revocation/revocations.controller';
import { SecurityModule } from '@trustline/security';
import { securityMetrics, ServiceHealthModule } from '@trustline/service-runtime';
import { AUTH_AUDIENCE } from './oidc/resources';

@Module({})
export class AuthServerModule {
  static forRoot(config: AuthServerConfig): DynamicModule {
    return {
      module: AuthServerModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(),
        // Its own keys come from its own database; the broker is optional for it (announcements are best effort).
        ServiceHealthModule.forRoot({ database: true, keys: false }),
        OidcModule,
        InteractionModule,
        // The auth server's own APIs (revocation feed, admin) are resource servers like any other: it
        // verifies its tokens through the same library, over its own JWKS.
        SecurityModule.forRoot({
          issuer: config.issuer,
          audience: AUTH_AUDIENCE,
          authInternalUrl: `http://127.0.0.1:${config.port}`,
          clockToleranceSeconds: config.clockToleranceSeconds,
          observer: securityMetrics,
        }),
      ],
      controllers: [RevocationsController, AdminKeysController, AdminController],
      providers: [{ provide: AUTH_SERVER_CONFIG, useValue: config }, DemoSeedService, DemoIdentitiesService, LocalDenylistSync, ExpiryPurge],
      exports: [AUTH_SERVER_CONFIG],
    };
  }
}
