import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { type ClientAuthMethod, ClientEntity } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { isKnownResource, OIDC_SCOPES, RESOURCE_SERVERS } from '../oidc/resources';
import { RowLookup } from '../database/row-lookup';
import { digestClientSecret, generateClientSecret } from './client-secret';

export interface ClientRegistration {
  clientId: string;
  name?: string;
  tokenEndpointAuthMethod: ClientAuthMethod;
  grantTypes: string[];
  allowedScopes: string[];
  audiences: string[];
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  jwks?: { keys: Record<string, unknown>[] };
  firstParty?: boolean;
  /** Only the demo seed passes a fixed secret; everyone else gets a generated one. */
  secret?: string;
}

export class ClientRegistrationError extends Error {}

const GRANT_TYPES = new Set(['client_credentials', 'authorization_code', 'refresh_token']);

/** The client registry: metadata in the database, secrets only as SHA-256 digests. */
@Injectable()
export class ClientsService {
  /** Read on every grant (no cache: a change made by another process applies from the next token). */
  private readonly byIdIfEnabled: RowLookup<ClientEntity>;

  constructor(
    @InjectRepository(ClientEntity) private readonly clients: Repository<ClientEntity>,
    private readonly writes: WriteSerializer,
  ) {
    this.byIdIfEnabled = new RowLookup(clients, ['clientId', 'enabled']);
  }

  findEnabled(clientId: string): Promise<ClientEntity | null> {
    return this.byIdIfEnabled.one(clientId, true);
  }

  /**
   * Registers or replaces a client. Returns the plain secret once (for confidential secret-based
   * clients); only its digest is kept.
   */
  async register(registration: ClientRegistration): Promise<{ client: ClientEntity; secret?: string }> {
    validateRegistration(registration);
    const usesSecret = registration.tokenEndpointAuthMethod === 'client_secret_basic' || registration.tokenEndpointAuthMethod === 'client_secret_post';
    const secret = usesSecret ? (registration.secret ?? generateClientSecret()) : undefined;
    const client: ClientEntity = {
      clientId: registration.clientId,
      name: registration.name ?? registration.clientId,
      secretDigest: secret ? digestClientSecret(secret) : null,
      tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod,
      jwks: registration.jwks ?? null,
      grantTypes: registration.grantTypes,
      redirectUris: registration.redirectUris ?? [],
      postLogoutRedirectUris: registration.postLogoutRedirectUris ?? [],
      allowedScopes: registration.allowedScopes,
      audiences: registration.audiences,
      firstParty: registration.firstParty ?? false,
      enabled: true,
      createdAt: Math.floor(Date.now() / 1000),
    };
    await this.writes.write(() => this.clients.upsert(client as QueryDeepPartialEntity<ClientEntity>, ['clientId']));
    return { client, secret };
  }

  /**
   * Changes what a client may do, at runtime: the engine reads clients from here on every request, so
   * the next token follows the change. Tokens already issued keep their scopes until they expire (revoke
   * them with revokeClientTokens for an immediate cut).
   */
  async update(clientId: string, change: { allowedScopes?: string[]; audiences?: string[]; enabled?: boolean }): Promise<ClientEntity> {
    const client = await this.clients.findOneBy({ clientId });
    if (!client) throw new ClientRegistrationError(`no client ${clientId}`);
    const next = { ...client, ...Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) } as ClientEntity;
    validateRegistration({ ...next, name: next.name, postLogoutRedirectUris: next.postLogoutRedirectUris, jwks: next.jwks ?? undefined, firstParty: next.firstParty });
    await this.writes.write(() =>
      this.clients.update({ clientId }, { allowedScopes: next.allowedScopes, audiences: next.audiences, enabled: next.enabled } as QueryDeepPartialEntity<ClientEntity>),
    );
    return next;
  }

  /** Client metadata in the form the protocol engine validates (OpenID Connect Dynamic Registration names). */
  static toProviderMetadata(client: ClientEntity): Record<string, unknown> {
    const userFacing = client.grantTypes.includes('authorization_code');
    return {
      client_id: client.clientId,
      client_name: client.name,
      // The engine compares against this value through our digest comparison (see oidc-provider.factory.ts).
      ...(client.secretDigest ? { client_secret: client.secretDigest } : {}),
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      ...(client.jwks ? { jwks: client.jwks } : {}),
      grant_types: client.grantTypes,
      response_types: userFacing ? ['code'] : [],
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
      // `scope` may only name the engine's static (OIDC) scopes; resource scopes are policed per audience
      // from trustline_allowed_scopes in getResourceServerInfo.
      ...(userFacing ? { scope: OIDC_SCOPES.join(' ') } : {}),
      id_token_signed_response_alg: 'ES256',
      trustline_audiences: client.audiences,
      trustline_allowed_scopes: client.allowedScopes,
      trustline_first_party: client.firstParty,
    };
  }
}

function validateRegistration(registration: ClientRegistration): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9._-]{3,128}$/.test(registration.clientId)) problems.push('client id must be 3-128 characters of [A-Za-z0-9._-]');
  for (const grant of registration.grantTypes) if (!GRANT_TYPES.has(grant)) problems.push(`unsupported grant type ${grant}`);
  for (const audience of registration.audiences) if (!isKnownResource(audience)) problems.push(`unknown audience ${audience}`);
  const offered = new Set(registration.audiences.flatMap((audience) => RESOURCE_SERVERS[audience] ?? []));
  for (const scope of registration.allowedScopes) if (!offered.has(scope)) problems.push(`scope ${scope} belongs to none of the client's audiences`);
  if (registration.tokenEndpointAuthMethod === 'private_key_jwt' && !registration.jwks?.keys?.length) problems.push('private_key_jwt needs a jwks');
  if (registration.tokenEndpointAuthMethod === 'none' && registration.grantTypes.includes('client_credentials')) problems.push('a public client cannot use client_credentials');
  if (registration.grantTypes.includes('authorization_code') && !registration.redirectUris?.length) problems.push('authorization_code needs redirect URIs');
  if (problems.length) throw new ClientRegistrationError(`invalid client ${registration.clientId}: ${problems.join('; ')}`);
}
