/**
 * The resource servers (RFC 8707 resource indicators) and their scopes, as CONVENTIONS.md fixes them.
 * An access token carries exactly one of these audiences.
 */
export const RESOURCE_SERVERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'urn:trustline:accounts': ['accounts:read', 'accounts:write'],
  'urn:trustline:loans': ['loans:read', 'loans:write'],
  'urn:trustline:cards': ['cards:read', 'cards:write'],
  'urn:trustline:auth': ['admin', 'revocations:read'],
});

export const AUTH_AUDIENCE = 'urn:trustline:auth';

/** OIDC scopes (identity), as opposed to resource scopes (API access). */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'roles'] as const;

export function isKnownResource(resource: string): boolean {
  return Object.prototype.hasOwnProperty.call(RESOURCE_SERVERS, resource);
}
