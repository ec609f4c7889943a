import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import type { RevocationsService } from '../revocation/revocations.service';
import { resourceServerClientId } from './resources';

export interface JwtTokenEndpointsOptions {
  issuer: string;
  /** Public JWKS of every key that may have signed a live token (active, next, retired). */
  publicJwks: () => { keys: Record<string, unknown>[] };
  revocations: RevocationsService;
}

/**
 * Whether `caller` may learn about a token (RFC 7662 §4: the server may answer inactive to protect
 * information): the token's own client, or the resource server of one of its audiences. Anyone else
 * gets `active: false`, as for a token that does not exist.
 */
export function mayIntrospect(caller: string, tokenClientId: unknown, audience: unknown): boolean {
  if (tokenClientId === caller) return true;
  const audiences = Array.isArray(audience) ? audience : [audience];
  return audiences.some((each) => typeof each === 'string' && resourceServerClientId(each) === caller);
}

/**
 * RFC 7009 revocation and RFC 7662 introspection for the engine's JWT access tokens.
 *
 * node-oidc-provider never stores JWT access tokens, so its endpoints answer `unsupported_token_type`
 * for them. This Koa middleware lets the engine do everything it does well (body parsing, client
 * authentication, duplicate-parameter checks) and takes over only at that answer, after the client has
 * authenticated: it verifies the token with our own keys and answers from the revocation record.
 */
export function jwtTokenEndpoints(options: JwtTokenEndpointsOptions) {
  let cachedKeys: ReturnType<typeof createLocalJWKSet> | undefined;
  let cachedFrom: unknown;
  const keySet = () => {
    const jwks = options.publicJwks();
    if (jwks !== cachedFrom) {
      cachedKeys = createLocalJWKSet(jwks as never);
      cachedFrom = jwks;
    }
    return cachedKeys!;
  };

  const verify = async (token: string, allowExpired: boolean): Promise<JWTPayload | undefined> => {
    try {
      const { payload } = await jwtVerify(token, keySet(), {
        issuer: options.issuer,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        // For revocation an expired token is still "ours"; for introspection it is inactive.
        currentDate: allowExpired ? new Date(0) : undefined,
        clockTolerance: allowExpired ? 0 : 5,
      });
      return payload;
    } catch {
      return undefined;
    }
  };

  return async function handleJwtAccessTokens(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'revocation' && route !== 'introspection') return;
    const body = ctx.body as { error?: string } | undefined;
    const client = ctx.oidc.client;
    // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing about itself.
    if (route === 'introspection' && client?.clientAuthMethod === 'none') {
      ctx.status = 401;
      ctx.body = { error: 'invalid_client', error_description: 'introspection requires client authentication' };
      return;
    }
    if (ctx.status !== 400 || body?.error !== 'unsupported_token_type' || !client) return;
    const token = String(ctx.oidc.params?.token ?? '');
    const publicCaller = client.clientAuthMethod === 'none';

    if (route === 'revocation') {
      const claims = await verify(token, true);
      ctx.status = 200;
      ctx.body = '';
      // RFC 7009 §2.2: an invalid or unknown token is answered 200 and nothing happens.
      if (!claims || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return;
      if (claims.client_id !== client.clientId) {
        if (publicCaller) return;
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
        return;
      }
      // Verifiers accept a token up to their clock skew past its exp: until then it is worth revoking.
      if (claims.exp + MAX_CLOCK_TOLERANCE_SECONDS >= Math.floor(Date.now() / 1000)) await options.revocations.record('jti', claims.jti, claims.exp);
      return;
    }

    ctx.status = 200;
    ctx.body = { active: false };
    const claims = await verify(token, false);
    if (!claims) return;
    if (!mayIntrospect(client.clientId, claims.client_id, claims.aud)) return;
    if (await options.revocations.isRevoked(claims)) return;
    ctx.body = { ...claims, active: true, token_type: 'Bearer' };
  };
}
