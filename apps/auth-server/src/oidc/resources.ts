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

/**
 * Scopes a resource server accepts for data it reads from another one on the caller's behalf (a
 * deputy must not launder privilege): on the accounts audience, `loans:read` means "may read loans
 * through accounts" (the customer details). Each maps to the audience that owns it, and is granted on
 * the deputy's audience only to a client entitled to it on the owner: allowed that scope and that
 * audience, and for a user also permitted by their roles. One audience per token (RFC 8707) stays.
 */
export const DELEGATED_SCOPES: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  'urn:trustline:accounts': Object.freeze({ 'loans:read': 'urn:trustline:loans', 'cards:read': 'urn:trustline:cards' }),
});

/** Every scope a token for this resource may carry: its own, then the ones it reads elsewhere for the caller. */
export function scopesOfResource(resource: string): string[] {
  return [...(RESOURCE_SERVERS[resource] ?? []), ...Object.keys(DELEGATED_SCOPES[resource] ?? {})];
}

/**
 * Whether a client with these entitlements may hold `scope` on `resource`: an own scope needs only the
 * scope; a delegated one also the audience that owns it (what the client could get a token for itself).
 */
export function clientMayHold(resource: string, scope: string, client: { audiences: readonly string[]; scopes: ReadonlySet<string> }): boolean {
  if (!client.scopes.has(scope)) return false;
  if (RESOURCE_SERVERS[resource]?.includes(scope)) return true;
  const owner = DELEGATED_SCOPES[resource]?.[scope];
  return owner !== undefined && client.audiences.includes(owner);
}

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
