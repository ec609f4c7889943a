import { Module } from '@nestjs/common';
import type Provider from 'oidc-provider';
import { ClientsService } from '../clients/clients.service';
import { AttemptLimits } from '../attempts/attempt-limits.service';
import { AuditService } from '../audit/audit.service';
import { KeyManagementService } from '../keys/key-management.service';
import { SessionsService } from '../sessions/sessions.service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { RevocationEventsPublisher } from '../revocation/revocation-events.publisher';
import { RevocationsService } from '../revocation/revocations.service';
import { TokenLifetimes } from '../revocation/token-lifetimes.service';
import { UsersService } from '../users/users.service';
import { OidcProviderHost } from './oidc-provider.host';

export type { Provider };

@Module({
  providers: [
    ClientsService,
    UsersService,
    SigningKeysService,
    RevocationsService,
    TokenLifetimes,
    RevocationEventsPublisher,
    AuditService,
    AttemptLimits,
    SessionsService,
    OidcProviderHost,
    KeyManagementService,
  ],
  exports: [OidcProviderHost, ClientsService, UsersService, SigningKeysService, RevocationsService, AuditService, AttemptLimits, SessionsService, KeyManagementService],
})
export class OidcModule {}
