import type { VerifyOptions } from 'jsonwebtoken';
import { TokenVerificationError, type TokenErrorCode } from '../errors';
import type { Principal } from '../principal';
import type { ResolvedSecurityOptions } from '../security.options';

export interface TokenHeader {
  alg: string;
  kid: string;
  typ: string;
}

/** RFC 9068 §2.1: access tokens are typed `at+jwt` (the `application/` prefix may be present). */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/**
 * Checks made before any key is looked up: size, shape, algorithm allow-list and type. An ID token
 * (`typ: JWT`), an unsigned token (`alg: none`) or an HMAC token never reaches the signature check.
 * `jku`, `x5u`, `x5c` and embedded `jwk` headers are never used: keys come only from the issuer's JWKS.
 */
export function inspectHeader(token: string, options: Pick<ResolvedSecurityOptions, 'algorithms' | 'maxTokenBytes'>): TokenHeader {
  if (token.length > options.maxTokenBytes) throw new TokenVerificationError('TOKEN_TOO_LARGE');
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) throw new TokenVerificationError('TOKEN_MALFORMED');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new TokenVerificationError('TOKEN_MALFORMED');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new TokenVerificationError('TOKEN_MALFORMED');
  if (typeof header.alg !== 'string' || !options.algorithms.includes(header.alg)) throw new TokenVerificationError('ALGORITHM_NOT_ALLOWED');
  if (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) throw new TokenVerificationError('TYPE_NOT_ALLOWED');
  // RFC 7515 §4.1.11: a critical extension we do not understand makes the token invalid.
  if (header.crit !== undefined) throw new TokenVerificationError('TOKEN_MALFORMED', 'unsupported crit header');
  if (typeof header.kid !== 'string' || !header.kid) throw new TokenVerificationError('KEY_UNKNOWN');
  return { alg: header.alg, kid: header.kid, typ: header.typ };
}

/** The options jsonwebtoken (inside passport-jwt) verifies with. */
export function jwtVerifyOptions(options: ResolvedSecurityOptions): VerifyOptions {
  return {
    algorithms: [...options.algorithms] as VerifyOptions['algorithms'],
    issuer: options.issuer,
    audience: options.audiences.length === 1 ? options.audiences[0] : ([...options.audiences] as [string, ...string[]]),
    clockTolerance: options.clockToleranceSeconds,
    ignoreExpiration: false,
    ignoreNotBefore: false,
  };
}

/** Maps jsonwebtoken's errors (by class name and message, its documented contract) to our codes. */
export function codeForJwtError(error: unknown): TokenErrorCode {
  if (error instanceof TokenVerificationError) return error.code;
  const name = (error as { name?: string })?.name;
  const message = String((error as { message?: string })?.message ?? '');
  if (name === 'TokenExpiredError') return 'TOKEN_EXPIRED';
  if (name === 'NotBeforeError') return 'TOKEN_NOT_YET_VALID';
  if (message.startsWith('jwt audience invalid')) return 'AUDIENCE_MISMATCH';
  if (message.startsWith('jwt issuer invalid')) return 'ISSUER_MISMATCH';
  if (message === 'invalid algorithm') return 'ALGORITHM_NOT_ALLOWED';
  if (message === 'invalid signature') return 'SIGNATURE_INVALID';
  if (message === 'jwt malformed' || message === 'invalid token' || message === 'jwt signature is required') return 'TOKEN_MALFORMED';
  return 'SIGNATURE_INVALID';
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isEpoch = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Checks on the verified payload that jsonwebtoken does not make, and the principal built from it:
 * every RFC 9068 claim present and well-typed, `iat` not in the future beyond the allowed skew.
 */
export function principalFromClaims(
  payload: Record<string, unknown>,
  audiences: readonly string[],
  clockToleranceSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): Principal {
  const { sub, client_id: clientId, jti, iat, exp, scope, roles, gid } = payload;
  if (!isString(sub) || !isString(clientId) || !isString(jti) || !isEpoch(iat) || !isEpoch(exp)) throw new TokenVerificationError('CLAIMS_INVALID');
  if (iat > nowSeconds + clockToleranceSeconds) throw new TokenVerificationError('TOKEN_NOT_YET_VALID', 'issued in the future');
  if (scope !== undefined && typeof scope !== 'string') throw new TokenVerificationError('CLAIMS_INVALID');
  if (roles !== undefined && (!Array.isArray(roles) || roles.some((role) => typeof role !== 'string'))) throw new TokenVerificationError('CLAIMS_INVALID');
  // Client-credentials tokens name the client as subject; user tokens name the user and carry a grant.
  const kind = isString(gid) ? 'user' : 'client';
  return Object.freeze({
    kind,
    subject: sub,
    clientId,
    audience: audiences[0],
    audiences: Object.freeze([...audiences]),
    scopes: Object.freeze(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []),
    roles: Object.freeze(Array.isArray(roles) ? [...(roles as string[])] : []),
    ...(isString(gid) ? { grantId: gid } : {}),
    tokenId: jti,
    issuedAt: iat,
    expiresAt: exp,
  });
}
