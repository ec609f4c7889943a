import { Module } from '@nestjs/common';
import type Provider from 'oidc-provider';
import { ClientsService } from '../clients/clients.service';
import { KeyManagementService } from '../keys/key-management.service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { RevocationsService } from '../revocation/revocations.service';
import { UsersService } from '../users/users.service';
import { OidcProviderHost } from './oidc-provider.host';

export type { Provider };

@Module({
  providers: [ClientsService, UsersService, SigningKeysService, RevocationsService, OidcProviderHost, KeyManagementService],
  exports: [OidcProviderHost, ClientsService, UsersService, SigningKeysService, RevocationsService, KeyManagementService],
})
export class OidcModule {}
