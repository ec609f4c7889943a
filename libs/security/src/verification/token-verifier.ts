import { verify as verifyJwt } from 'jsonwebtoken';
import type { Denylist } from '../denylist/denylist';
import { TokenVerificationError } from '../errors';
import type { RemoteKeyStore } from '../keys/remote-key-store';
import type { Principal } from '../principal';
import type { ResolvedSecurityOptions } from '../security.options';
import { codeForJwtError, inspectHeader, jwtVerifyOptions, principalFromClaims } from './token-checks';
import type { VerifiedTokenCache } from './verified-token-cache';

export type VerificationOutcome = 'cache_hit' | 'verified' | TokenVerificationError['code'];

/**
 * Verifies access tokens: header checks, the issuer's key for its `kid`, signature and claims
 * (jsonwebtoken, the engine passport-jwt runs), the denylist, then the principal. The passport strategy
 * is built from the same steps; this class serves callers outside a Nest guard (the gateway's proxy
 * hook, RPC clients) and the verified-token cache in front of both.
 */
export class TokenVerifier {
  private readonly verifyOptions;

  constructor(
    private readonly options: ResolvedSecurityOptions,
    private readonly keys: RemoteKeyStore,
    private readonly denylist: Denylist,
    private readonly cache: VerifiedTokenCache,
    private readonly onOutcome?: (outcome: VerificationOutcome) => void,
  ) {
    this.verifyOptions = jwtVerifyOptions(options);
  }

  /** The principal of a cached token whose key is still trusted, unrevoked, unexpired and young enough; no crypto. */
  cached(token: string): Principal | undefined {
    const principal = this.cache.get(token);
    if (principal) this.onOutcome?.('cache_hit');
    return principal;
  }

  async verify(token: string): Promise<Principal> {
    const hit = this.cached(token);
    if (hit) return hit;
    try {
      const header = inspectHeader(token, this.options);
      const key = await this.keys.keyFor(header.kid, header.alg);
      let payload: Record<string, unknown>;
      try {
        payload = verifyJwt(token, key, this.verifyOptions) as Record<string, unknown>;
      } catch (error) {
        throw new TokenVerificationError(codeForJwtError(error));
      }
      return this.accept(token, header.kid, payload);
    } catch (error) {
      const failure = error instanceof TokenVerificationError ? error : new TokenVerificationError('SIGNATURE_INVALID');
      this.onOutcome?.(failure.code);
      throw failure;
    }
  }

  /** Counts a refusal made outside `verify` (the passport path). */
  report(outcome: VerificationOutcome): void {
    this.onOutcome?.(outcome);
  }

  /** Post-signature checks shared with the passport strategy: claims, denylist, cache. */
  accept(token: string, kid: string, payload: Record<string, unknown>): Principal {
    const audiences = this.matchedAudiences(payload.aud);
    const principal = principalFromClaims(payload, audiences, this.options.clockToleranceSeconds);
    if (this.denylist.isRevoked({ ...payload, kid })) throw new TokenVerificationError('TOKEN_REVOKED');
    this.cache.set(token, principal, kid);
    this.onOutcome?.('verified');
    return principal;
  }

  /** The token's audiences that this verifier serves (in configuration order); none is a refusal. */
  private matchedAudiences(aud: unknown): string[] {
    const values = Array.isArray(aud) ? aud : [aud];
    const matches = this.options.audiences.filter((audience) => values.includes(audience));
    if (!matches.length) throw new TokenVerificationError('AUDIENCE_MISMATCH');
    return matches;
  }
}
