import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { AuthServerModule } from './app.module';
import { ClientRegistrationError, ClientsService } from './clients/clients.service';
import { ConfigurationError, loadAuthServerConfig } from './config/auth-server.config';
import { AuditService } from './audit/audit.service';
import { KeyManagementService } from './keys/key-management.service';
import { RESOURCE_SERVERS } from './oidc/resources';
import { SessionsService } from './sessions/sessions.service';
import { UnknownKeyError } from './keys/signing-keys.service';
import { UsersService } from './users/users.service';
import { DemoIdentitiesService } from './seed/demo-identities.service';

const USAGE = `Trustline auth-server CLI (same environment as the server: DATABASE_URL or DATA_DIR, KEY_ENCRYPTION_SECRET)

  clients:register '<json>'   register or replace a client; prints its generated secret once
      {"clientId":"reports","tokenEndpointAuthMethod":"client_secret_basic","grantTypes":["client_credentials"],
       "audiences":["urn:trustline:accounts"],"allowedScopes":["accounts:read"]}
  users:create <username> <role>[,<role>…]   password read from TRUSTLINE_PASSWORD
  users:logout <username>     end every session of a user; their tokens are refused everywhere
  clients:update <clientId> '<json>'   change {"allowedScopes":[…],"audiences":[…],"enabled":bool} at runtime
  clients:revoke-tokens <clientId>     every token of a client refused everywhere
  roles:set <role> <scope>[,<scope>…]  the scope-to-role mapping, from the next token on
  audit:list [type] [limit]   the newest audit events (e.g. login.failure, token.revoked)
  keys:list                   the signing keys and their states (never the private parts)
  keys:rotate                 planned rotation: the published next key signs, the active one retires
  keys:revoke <kid>           emergency: withdraw a key everywhere at once; a fresh key signs if it was signing
  demo:remove                 remove the demo users and clients that still have their published passwords/secrets,
                              revoking their sessions and tokens (production refuses to start while any remain)
`;

const registrationSchema = z.object({
  clientId: z.string(),
  name: z.string().max(256).optional(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
  grantTypes: z.array(z.string()).min(1),
  audiences: z.array(z.string()),
  allowedScopes: z.array(z.string()),
  redirectUris: z.array(z.url()).optional(),
  postLogoutRedirectUris: z.array(z.url()).optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  firstParty: z.boolean().optional(),
});

const knownScopes = [...new Set(Object.values(RESOURCE_SERVERS).flat())] as [string, ...string[]];
const clientChangeSchema = z
  .object({
    allowedScopes: z.array(z.enum(knownScopes)).optional(),
    audiences: z.array(z.enum(Object.keys(RESOURCE_SERVERS) as [string, ...string[]])).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
const roleSchema = z.object({ role: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'role names are lowercase'), scopes: z.array(z.enum(knownScopes)) });

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 64;
  }
  const config = { ...loadAuthServerConfig(), demoSeed: false };
  const app = await NestFactory.createApplicationContext(AuthServerModule.forRoot(config), { logger: ['error'] });
  try {
    switch (command) {
      case 'clients:register': {
        const parsed = registrationSchema.safeParse(JSON.parse(args[0] ?? 'null'));
        if (!parsed.success) throw new ClientRegistrationError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
        const { client, secret } = await app.get(ClientsService).register(parsed.data);
        process.stdout.write(`${JSON.stringify({ client_id: client.clientId, ...(secret ? { client_secret: secret } : {}) })}\n`);
        return 0;
      }
      case 'users:create': {
        const [username, roles] = args;
        const password = process.env.TRUSTLINE_PASSWORD;
        if (!username || !roles || !password || password.length < 12) throw new ClientRegistrationError('need <username> <roles> and TRUSTLINE_PASSWORD of at least 12 characters');
        const { user, created } = await app.get(UsersService).createIfAbsent({ username, password, roles: roles.split(',') });
        process.stdout.write(`${JSON.stringify({ sub: user.id, username: user.username, created })}\n`);
        return 0;
      }
      case 'users:logout': {
        const user = args[0] ? await app.get(UsersService).findByUsername(args[0]) : null;
        if (!user) throw new ClientRegistrationError(`no user ${args[0] ?? ''}`);
        const ended = await app.get(SessionsService).endUserSessions(user.id, { actor: 'cli' });
        process.stdout.write(`${JSON.stringify({ sub: user.id, ...ended })}\n`);
        return 0;
      }
      case 'clients:update': {
        const change = clientChangeSchema.safeParse(JSON.parse(args[1] ?? 'null'));
        if (!args[0] || !change.success) throw new ClientRegistrationError('need <clientId> and a JSON object with allowedScopes, audiences and/or enabled');
        const client = await app.get(ClientsService).update(args[0], change.data);
        await app.get(AuditService).record({
          type: 'client.changed',
          outcome: 'success',
          clientId: client.clientId,
          details: { by: 'cli', scopes: client.allowedScopes.join(' '), audiences: client.audiences.join(' '), enabled: client.enabled },
        });
        process.stdout.write(`${JSON.stringify({ client_id: client.clientId, allowedScopes: client.allowedScopes, audiences: client.audiences, enabled: client.enabled })}\n`);
        return 0;
      }
      case 'clients:revoke-tokens': {
        if (!args[0]) throw new ClientRegistrationError('need the client id');
        process.stdout.write(`${JSON.stringify({ client_id: args[0], ...(await app.get(SessionsService).revokeClientTokens(args[0], { actor: 'cli' })) })}\n`);
        return 0;
      }
      case 'roles:set': {
        const [role, scopes] = args;
        const parsed = roleSchema.safeParse({ role, scopes: (scopes ?? '').split(',').filter(Boolean) });
        if (!parsed.success) throw new ClientRegistrationError(`need <role> <scope>[,<scope>…] with known scopes: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
        await app.get(UsersService).upsertRole(parsed.data.role, parsed.data.scopes);
        await app.get(AuditService).record({ type: 'role.changed', outcome: 'success', details: { role: parsed.data.role, scopes: parsed.data.scopes.join(' '), by: 'cli' } });
        process.stdout.write(`${JSON.stringify({ role: parsed.data.role, scopes: parsed.data.scopes })}\n`);
        return 0;
      }
      case 'audit:list':
        process.stdout.write(`${JSON.stringify({ events: await app.get(AuditService).query({ type: args[0], limit: Number(args[1] ?? 50) || 50 }) })}\n`);
        return 0;
      case 'keys:list':
        process.stdout.write(`${JSON.stringify({ keys: await app.get(KeyManagementService).list() })}\n`);
        return 0;
      case 'keys:rotate':
        process.stdout.write(`${JSON.stringify(await app.get(KeyManagementService).rotate())}\n`);
        return 0;
      case 'keys:revoke': {
        if (!args[0]) throw new ClientRegistrationError('need the kid to revoke (see keys:list)');
        process.stdout.write(`${JSON.stringify(await app.get(KeyManagementService).revoke(args[0]))}\n`);
        return 0;
      }
      case 'demo:remove':
        process.stdout.write(`${JSON.stringify(await app.get(DemoIdentitiesService).remove('cli'))}\n`);
        return 0;
      default:
        process.stderr.write(`unknown command ${command}\n${USAGE}`);
        return 64;
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ClientRegistrationError || error instanceof ConfigurationError || error instanceof SyntaxError || error instanceof UnknownKeyError;
    process.stderr.write(`${known ? (error as Error).message : `failed: ${error instanceof Error ? error.message : String(error)}`}\n`);
    process.exit(known ? 65 : 1);
  },
);
