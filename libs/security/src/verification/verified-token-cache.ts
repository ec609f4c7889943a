import { LRUCache } from 'lru-cache';
import type { Denylist } from '../denylist/denylist';
import type { Principal } from '../principal';

interface CachedVerification {
  principal: Principal;
  kid: string;
}

/**
 * Tokens already verified, so a repeat request skips the signature check (the dominant cost). An entry
 * never outlives its token's `exp`, and every hit is checked against the denylist, so a revoked token
 * or key stops at once. Bounded in size (LRU).
 */
export class VerifiedTokenCache {
  private readonly cache: LRUCache<string, CachedVerification> | undefined;

  constructor(
    size: number,
    private readonly denylist: Denylist,
  ) {
    this.cache = size > 0 ? new LRUCache({ max: size }) : undefined;
  }

  get(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Principal | undefined {
    const hit = this.cache?.get(token);
    if (!hit) return undefined;
    const { principal, kid } = hit;
    if (principal.expiresAt <= nowSeconds) {
      this.cache!.delete(token);
      return undefined;
    }
    if (
      this.denylist.isRevoked({ jti: principal.tokenId, gid: principal.grantId, sub: principal.subject, client_id: principal.clientId, iat: principal.issuedAt, kid }, nowSeconds)
    ) {
      this.cache!.delete(token);
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal, kid: string): void {
    this.cache?.set(token, { principal, kid });
  }

  clear(): void {
    this.cache?.clear();
  }
}
