/**
 * Why a token was refused. Stable codes for metrics, audit events and tests; never sent to the caller
 * (RFC 6750 answers carry only `invalid_token`, so an attacker learns nothing about which check failed).
 */
export type TokenErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_TOO_LARGE'
  | 'ALGORITHM_NOT_ALLOWED'
  | 'TYPE_NOT_ALLOWED'
  | 'KEY_UNKNOWN'
  | 'SIGNATURE_INVALID'
  | 'ISSUER_MISMATCH'
  | 'AUDIENCE_MISMATCH'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'CLAIMS_INVALID'
  | 'TOKEN_REVOKED'
  | 'KEYS_UNAVAILABLE';

/** A refused token, with the reason as a stable code. */
export class TokenVerificationError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string = code,
  ) {
    super(message);
    this.name = 'TokenVerificationError';
  }
}

/** 401 (RFC 6750 §3.1): no usable token. */
export class InvalidTokenException extends Error {
  readonly status = 401;
  constructor(readonly code: TokenErrorCode) {
    super('invalid_token');
    this.name = 'InvalidTokenException';
  }

  /** `Bearer` alone when no credentials came at all (RFC 6750 §3.1), `error="invalid_token"` otherwise. */
  get challenge(): string {
    return this.code === 'TOKEN_MISSING' ? 'Bearer' : 'Bearer error="invalid_token"';
  }

  get body(): { error: string; error_description?: string } {
    return this.code === 'TOKEN_MISSING' ? { error: 'invalid_request', error_description: 'a bearer token is required' } : { error: 'invalid_token' };
  }
}

/** 403 (RFC 6750 §3.1): a valid token without the scope or role the handler needs. */
export class InsufficientScopeException extends Error {
  readonly status = 403;
  constructor(
    readonly requiredScopes: readonly string[],
    readonly requiredRoles: readonly string[] = [],
  ) {
    super('insufficient_scope');
    this.name = 'InsufficientScopeException';
  }

  get challenge(): string {
    return this.requiredScopes.length ? `Bearer error="insufficient_scope", scope="${this.requiredScopes.join(' ')}"` : 'Bearer error="insufficient_scope"';
  }

  get body(): { error: string; scope?: string } {
    return { error: 'insufficient_scope', ...(this.requiredScopes.length ? { scope: this.requiredScopes.join(' ') } : {}) };
  }
}
