import { Logger, Module } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import type Provider from 'oidc-provider';
import type { Repository } from 'typeorm';
import { ClientsService } from '../clients/clients.service';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { OidcPayloadEntity } from '../database/entities';
import { WriteSerializer } from '../database/write-serializer';
import { SigningKeysService } from '../keys/signing-keys.service';
import { RevocationsService } from '../revocation/revocations.service';
import { UsersService } from '../users/users.service';
import { createOidcProvider } from './oidc-provider.factory';

export const OIDC_PROVIDER = Symbol('OIDC_PROVIDER');
export type { Provider };

@Module({
  providers: [
    ClientsService,
    UsersService,
    SigningKeysService,
    RevocationsService,
    {
      provide: OIDC_PROVIDER,
      inject: [AUTH_SERVER_CONFIG, SigningKeysService, getRepositoryToken(OidcPayloadEntity), WriteSerializer, ClientsService, UsersService, RevocationsService],
      useFactory: async (
        config: AuthServerConfig,
        keys: SigningKeysService,
        payloads: Repository<OidcPayloadEntity>,
        writes: WriteSerializer,
        clients: ClientsService,
        users: UsersService,
        revocations: RevocationsService,
      ) => {
        await keys.ensureActiveKey();
        const logger = new Logger('OidcProvider');
        return createOidcProvider({
          config,
          jwks: await keys.providerJwks(),
          payloads,
          writes,
          clients,
          users,
          revocations,
          onRevocationWriteError: (error) => logger.error(`grant revocation not recorded: ${(error as Error).message}`),
        });
      },
    },
  ],
  exports: [OIDC_PROVIDER, ClientsService, UsersService, SigningKeysService, RevocationsService],
})
export class OidcModule {}
