/**
 * The resource servers (RFC 8707 resource indicators) and their scopes, as CONVENTIONS.md fixes them.
 * An access token carries exactly one of these audiences.
 */
export const RESOURCE_SERVERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'urn:trustline:accounts': ['accounts:read', 'accounts:write'],
  'urn:trustline:loans': ['loans:read', 'loans:write'],
  'urn:trustline:cards': ['cards:read', 'cards:write'],
  // trustline-generator: resources (`nx g @trustline/workspace:service <name>` adds its audience above)
  'urn:trustline:auth': ['admin', 'revocations:read'],
});

export const AUTH_AUDIENCE = 'urn:trustline:auth';

/** The bank services' audiences (every resource server but the auth server's own APIs). */
export const SERVICE_AUDIENCES = Object.keys(RESOURCE_SERVERS).filter((audience) => audience !== AUTH_AUDIENCE);
/** Every scope of the bank services: what the customer role may hold, on its own data. */
export const SERVICE_SCOPES = SERVICE_AUDIENCES.flatMap((audience) => RESOURCE_SERVERS[audience]);

/** OIDC scopes (identity), as opposed to resource scopes (API access). */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'roles'] as const;

export function isKnownResource(resource: string): boolean {
  return Object.prototype.hasOwnProperty.call(RESOURCE_SERVERS, resource);
}

/**
 * The client a resource server authenticates as: the service behind `urn:trustline:<name>` is the
 * `<name>-service` client (the convention the service generator, the seed and the deployments follow).
 * The auth server's own audience has none. Used to decide who may introspect a token (RFC 7662 §4).
 */
export function resourceServerClientId(audience: string): string | undefined {
  if (audience === AUTH_AUDIENCE || !isKnownResource(audience)) return undefined;
  return `${audience.slice('urn:trustline:'.length)}-service`;
}
