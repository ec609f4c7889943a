import { hkdfSync } from 'node:crypto';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Repository } from 'typeorm';
import { type AttemptLimits, clientAuthentication } from '../attempts/attempt-limits.service';
import type { AuditService } from '../audit/audit.service';
import { clientSecretMatches } from '../clients/client-secret';
import type { ClientsService } from '../clients/clients.service';
import type { AuthServerConfig } from '../config/auth-server.config';
import type { OidcPayloadEntity } from '../database/entities';
import type { WriteSerializer } from '@trustline/service-runtime';
import type { RevocationsService } from '../revocation/revocations.service';
import type { UsersService } from '../users/users.service';
import { escapeHtml, HTML_SECURITY_HEADERS, htmlSecurityHeaders, page } from './html';
import { jwtTokenEndpoints, mayIntrospect } from './jwt-token-endpoints';
import { installOperationalHooks } from './operational-hooks';
import { clientMayHold, isKnownResource, OIDC_SCOPES, scopesOfResource } from './resources';
import { TypeOrmOidcAdapter } from './typeorm-adapter';

export interface OidcProviderDependencies {
  config: AuthServerConfig;
  jwks: { keys: Record<string, unknown>[] };
  payloads: Repository<OidcPayloadEntity>;
  writes: WriteSerializer;
  clients: ClientsService;
  users: UsersService;
  revocations: RevocationsService;
  audit: AuditService;
  attempts: AttemptLimits;
  /** Told when a revocation or audit write started by an engine event failed (the caller logs it). */
  onRevocationWriteError?: (error: unknown) => void;
}

/** Client metadata Trustline adds to the standard set (read back in policies below). */
export const CLIENT_EXTRA_METADATA = ['trustline_audiences', 'trustline_allowed_scopes', 'trustline_first_party'] as const;

export const INTERACTION_PATH = '/interaction';

/** Secrets derived from KEY_ENCRYPTION_SECRET for other purposes, so one configured secret covers all. */
export function deriveSecret(secret: string, purpose: string): string {
  return Buffer.from(hkdfSync('sha256', secret, 'trustline', purpose, 32)).toString('base64url');
}

export type EngineClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;
const audiencesOf = (client: EngineClient) => (client['trustline_audiences'] as string[] | undefined) ?? [];
const allowedScopesOf = (client: EngineClient) => new Set((client['trustline_allowed_scopes'] as string[] | undefined) ?? []);
/** The scopes of `resource` this client may hold (delegated ones only with their owner's audience). */
const clientScopesOn = (client: EngineClient, resource: string) => {
  const entitlements = { audiences: audiencesOf(client), scopes: allowedScopesOf(client) };
  return scopesOfResource(resource).filter((scope) => clientMayHold(resource, scope, entitlements));
};
export const isFirstParty = (client: EngineClient) => client['trustline_first_party'] === true;

const publicPart = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: Record<string, unknown>) => rest;

/**
 * Builds the OpenID Provider: node-oidc-provider (a certified engine) configured for Trustline's
 * contracts (CONVENTIONS.md). Everything Trustline-specific is a documented configuration hook here.
 */
export function createOidcProvider(deps: OidcProviderDependencies): Provider {
  const { config } = deps;
  const secret = config.keyEncryptionSecret ?? deriveSecret(String(Math.random()), 'ephemeral');
  const publicJwks = { keys: deps.jwks.keys.map(publicPart) };
  // The engine asks about the same user up to three times per token (account, resource scopes, extra
  // claims): one lookup per request is enough.
  const usersByRequest = new WeakMap<object, Map<string, ReturnType<UsersService['findById']>>>();
  const userFor = (ctx: object, id: string) => {
    let users = usersByRequest.get(ctx);
    if (!users) usersByRequest.set(ctx, (users = new Map()));
    let user = users.get(id);
    if (!user) users.set(id, (user = deps.users.findById(id)));
    return user;
  };

  const configuration: Configuration = {
    adapter: (name: string) => new TypeOrmOidcAdapter(name, deps.payloads, deps.writes, deps.clients),
    jwks: deps.jwks as Configuration['jwks'],
    cookies: {
      keys: [deriveSecret(secret, 'cookies')],
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    scopes: [...OIDC_SCOPES],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], roles: ['roles'] },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // Asymmetric only: no `none`, no HS* anywhere (client_secret_jwt would use the stored digest as a MAC key).
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
      authorizationSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256', 'PS256', 'RS256', 'EdDSA'],
    },
    clientDefaults: { id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    extraClientMetadata: { properties: [...CLIENT_EXTRA_METADATA] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Opaque tokens (refresh, userinfo) have no resource server: only their own client learns about them.
      introspection: { enabled: true, allowedPolicy: async (_ctx, caller, token) => mayIntrospect(caller.clientId, token.clientId, undefined) },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.set(htmlSecurityHeaders(ctx.oidc.params?.post_logout_redirect_uri));
          ctx.body = page(
            'Sign out',
            `<h1>Sign out</h1><p>Sign out of Trustline?</p>${form}<button form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button> <button form="op.logoutForm">No</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.set(HTML_SECURITY_HEADERS);
          ctx.body = page('Signed out', '<h1>Signed out</h1><p>You have been signed out.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        // Client credentials name their audience; a client with exactly one may leave it out.
        defaultResource: async (ctx, client) => {
          if (ctx.oidc.params?.grant_type !== 'client_credentials') return undefined as unknown as string;
          const audiences = audiencesOf(client);
          if (audiences.length === 1) return audiences[0];
          throw new errors.InvalidTarget('the resource parameter is required: name the audience the token is for');
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource, client) => {
          if (!isKnownResource(resource) || !audiencesOf(client).includes(resource)) {
            throw new errors.InvalidTarget('the client is not allowed this resource');
          }
          let scopes = clientScopesOn(client, resource);
          // A user's token carries what their roles allow *now*: a role or scope mapping changed at
          // runtime applies from the next token, refreshes included, not from the next login.
          const accountId = ctx.oidc.account?.accountId;
          if (accountId) {
            const user = await userFor(ctx, accountId);
            const permitted = await deps.users.scopesForRoles(user?.roles ?? []);
            scopes = scopes.filter((scope) => permitted.has(scope));
          }
          if (ctx.oidc.params?.grant_type === 'client_credentials') {
            // Least scope, stated loudly: asking for a scope the client lacks is an error, not a silent drop.
            const requested = String(ctx.oidc.params.scope ?? '')
              .split(' ')
              .filter(Boolean);
            const refused = requested.filter((scope) => !scopes.includes(scope));
            if (refused.length) throw new errors.InvalidScope('requested scope is not allowed for this client and resource', refused.join(' '));
          }
          return {
            scope: scopes.join(' '),
            audience: resource,
            accessTokenTTL: config.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: config.accessTokenTtl,
      ClientCredentials: config.accessTokenTtl,
      IdToken: config.accessTokenTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: Math.min(config.refreshTokenTtl, 86_400),
      Grant: config.refreshTokenTtl,
      RefreshToken: config.refreshTokenTtl,
    },
    // Every refresh rotates its token; the engine revokes the whole grant when a consumed one comes back.
    rotateRefreshToken: () => true,
    // The engine drops `offline_access` unless the request says prompt=consent. First-party clients (the
    // portal) get a rotating refresh token without it; third parties need offline_access, consented to.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || isFirstParty(client)),
    // A first-party session's tokens end with it: signing out (or an administrator's force logout)
    // revokes the grant and its refresh tokens. Third parties keep the OIDC meaning of offline_access.
    expiresWithSession: async (ctx, source) => (ctx.oidc.client && isFirstParty(ctx.oidc.client)) || !source.scopes.has('offline_access'),
    extraTokenClaims: async (ctx, token) => {
      if (!('accountId' in token) || !token.accountId) return undefined;
      const user = await userFor(ctx, token.accountId);
      return { gid: token.grantId, roles: user?.roles ?? [] };
    },
    findAccount: async (ctx, sub) => {
      const user = await userFor(ctx, sub);
      if (!user) return undefined;
      return {
        accountId: user.id,
        claims: async () => ({ sub: user.id, preferred_username: user.username, name: user.name ?? user.username, roles: user.roles }),
      };
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? (oidc.client ? oidc.session?.grantIdFor(oidc.client.clientId) : undefined);
      if (grantId) return oidc.provider.Grant.find(grantId);
      // First-party clients are granted what the user's roles allow without a consent screen.
      if (oidc.client && isFirstParty(oidc.client) && oidc.session?.accountId) {
        const grant = await buildGrant(oidc.provider, oidc.client, { scope: oidc.params?.scope, resource: oidc.params?.resource }, deps.users, undefined, oidc.session.accountId);
        await grant.save();
        oidc.session.ensureClientContainer(oidc.client.clientId);
        oidc.session.grantIdFor(oidc.client.clientId, grant.jti);
        return grant;
      }
      return undefined;
    },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    renderError: async (ctx, out) => {
      ctx.set(HTML_SECURITY_HEADERS);
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Something went wrong</h1><p class="error">${escapeHtml(out.error)}</p><p>${escapeHtml(out.error_description)}</p>`);
    },
  };

  const provider = new Provider(config.issuer, configuration);
  // Koa: with `proxy`, ctx.ip is ips[0] of the last `maxIpsCount` X-Forwarded-For entries, the address
  // the outermost trusted proxy saw; the same address Fastify gives the Nest routes (bootstrap.ts).
  provider.proxy = config.trustProxyHops > 0;
  provider.maxIpsCount = config.trustProxyHops;

  // Secrets are stored as SHA-256 digests: compare the presented secret's digest in constant time.
  provider.Client.prototype.compareClientSecret = function compareDigest(this: { clientSecret?: string }, actual: string) {
    const matched = clientSecretMatches(actual, this.clientSecret);
    // A right secret gives its abuse-limit point back now, not after the grant (see AttemptLimits).
    if (matched) void clientAuthentication.getStore()?.succeeded();
    return matched;
  };

  installOperationalHooks(provider, { config, revocations: deps.revocations, audit: deps.audit, attempts: deps.attempts, onWriteError: deps.onRevocationWriteError });
  provider.use(jwtTokenEndpoints({ issuer: config.issuer, publicJwks: () => publicJwks, revocations: deps.revocations }));

  return provider;
}

export interface GrantRequest {
  scope?: unknown;
  resource?: unknown;
}

/**
 * The grant for a user and a client: the requested OIDC scopes, and for each requested resource the
 * scopes the client may have and the user's roles allow. Scopes refused are recorded as rejected, so the
 * engine does not ask for consent again for something the user can never have.
 */
export async function buildGrant(provider: Provider, client: EngineClient, request: GrantRequest, users: UsersService, existingGrantId: string | undefined, accountId: string) {
  const existing = existingGrantId ? await provider.Grant.find(existingGrantId) : undefined;
  const grant = existing ?? new provider.Grant({ clientId: client.clientId, accountId });
  const requested = String(request.scope ?? '')
    .split(' ')
    .filter(Boolean);
  const oidcScopes = requested.filter((scope) => (OIDC_SCOPES as readonly string[]).includes(scope));
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  const user = await users.findById(accountId);
  const roleScopes = await users.scopesForRoles(user?.roles ?? []);
  const resources = Array.isArray(request.resource) ? request.resource.map(String) : request.resource ? [String(request.resource)] : [];
  for (const resource of resources) {
    if (!isKnownResource(resource)) continue;
    // Only what was asked for: the engine also narrows each token to the scopes of the request.
    const wanted = requested.filter((scope) => scopesOfResource(resource).includes(scope));
    const clientScopes = new Set(clientScopesOn(client, resource));
    const granted = wanted.filter((scope) => clientScopes.has(scope) && roleScopes.has(scope));
    const refused = wanted.filter((scope) => !granted.includes(scope));
    if (granted.length) grant.addResourceScope(resource, granted.join(' '));
    if (refused.length) grant.rejectResourceScope(resource, refused.join(' '));
  }
  return grant;
}
