import { Inject, Injectable, Logger } from '@nestjs/common';
import { DEMO_CUSTOMERS } from '@trustline/service-runtime';
import { ClientsService, type ClientRegistration } from '../clients/clients.service';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { SERVICE_AUDIENCES, SERVICE_SCOPES } from '../oidc/resources';
import { UsersService } from '../users/users.service';

// alice's and bob's subject ids are fixed: the bank services seed their demo accounts, loans and cards
// for exactly these customers (libs/service-runtime's demo seed).
export const DEMO_USERS = [
  { id: DEMO_CUSTOMERS.alice, username: 'alice', password: 'alice-demo-password', roles: ['customer'], name: 'Alice' },
  { id: DEMO_CUSTOMERS.bob, username: 'bob', password: 'bob-demo-password', roles: ['customer'], name: 'Bob' },
  { username: 'admin', password: 'admin-demo-password', roles: ['admin'], name: 'Administrator' },
];

export function demoClients(publicGatewayUrl: string): ClientRegistration[] {
  const m2m = (clientId: string, allowedScopes: string[], audiences: string[]): ClientRegistration => ({
    clientId,
    secret: `${clientId}-secret`,
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    allowedScopes,
    audiences,
  });
  return [
    {
      clientId: 'portal',
      name: 'Trustline bank portal',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [`${publicGatewayUrl}/callback`],
      postLogoutRedirectUris: [`${publicGatewayUrl}/`],
      // `admin` on the auth server too: only users whose role grants it ever get it (an administrator
      // signing in through the portal can then call the admin API); customers get no scope there.
      allowedScopes: [...SERVICE_SCOPES, 'admin'],
      audiences: [...SERVICE_AUDIENCES, 'urn:trustline:auth'],
      firstParty: true,
    },
    m2m(
      'demo-cli',
      SERVICE_SCOPES.filter((scope) => scope.endsWith(':read')),
      SERVICE_AUDIENCES,
    ),
    m2m('accounts-service', ['loans:read', 'cards:read', 'revocations:read'], ['urn:trustline:loans', 'urn:trustline:cards', 'urn:trustline:auth']),
    m2m('gateway', ['revocations:read'], ['urn:trustline:auth']),
    m2m('loans-service', ['revocations:read'], ['urn:trustline:auth']),
    m2m('cards-service', ['revocations:read'], ['urn:trustline:auth']),
    // trustline-generator: service-clients (each generated service's own client is added above)
  ];
}

/**
 * The demo identities of CONVENTIONS.md, created idempotently on start outside production. Roles are
 * always ensured (created when missing, never overwritten, so a change an administrator made at runtime
 * survives restarts): they are the scope-to-role mapping, not demo data.
 */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger('DemoSeed');

  constructor(
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
    private readonly users: UsersService,
    private readonly clients: ClientsService,
  ) {}

  async run(): Promise<void> {
    await this.users.ensureRole('customer', SERVICE_SCOPES);
    await this.users.ensureRole('admin', [...SERVICE_SCOPES, 'admin']);
    if (!this.config.demoSeed) return;
    let createdUsers = 0;
    for (const user of DEMO_USERS) if ((await this.users.createIfAbsent(user)).created) createdUsers += 1;
    // Clients are re-registered each start so the portal's redirect URI follows PUBLIC_GATEWAY_URL.
    for (const client of demoClients(this.config.publicGatewayUrl)) await this.clients.register(client);
    if (createdUsers) {
      this.logger.warn('demo identities created (never in production): users alice, bob, admin with "<name>-demo-password"; M2M clients with "<client-id>-secret" (see README)');
    }
  }
}
