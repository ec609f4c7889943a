/** Who called, as the token says after every check passed. Never holds the token itself. */
export interface Principal {
  /** `user` for tokens issued to a person (authorization code), `client` for client credentials. */
  readonly kind: 'user' | 'client';
  readonly subject: string;
  readonly clientId: string;
  /** The first of `audiences`: for a service with one audience, that audience. */
  readonly audience: string;
  /** The token's audiences that this verifier accepts (a gateway serving several routes checks one per route with `@Audience`). */
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  /** The grant a user token belongs to (revoked as a whole on logout or refresh-token reuse). */
  readonly grantId?: string;
  readonly tokenId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export function hasScopes(principal: Principal, required: readonly string[]): boolean {
  return required.every((scope) => principal.scopes.includes(scope));
}

export function hasAnyRole(principal: Principal, required: readonly string[]): boolean {
  return required.length === 0 || required.some((role) => principal.roles.includes(role));
}
