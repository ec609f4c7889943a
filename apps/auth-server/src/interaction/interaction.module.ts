import { Module } from '@nestjs/common';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { OidcModule } from '../oidc/oidc.module';
import { deriveSecret } from '../oidc/oidc-provider.factory';
import { CsrfTokens } from './csrf';
import { InteractionController } from './interaction.controller';

@Module({
  imports: [OidcModule],
  controllers: [InteractionController],
  providers: [
    {
      provide: CsrfTokens,
      inject: [AUTH_SERVER_CONFIG],
      useFactory: (config: AuthServerConfig) => new CsrfTokens(deriveSecret(config.keyEncryptionSecret ?? crypto.randomUUID(), 'csrf')),
    },
  ],
})
export class InteractionModule {}
