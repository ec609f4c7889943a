import { LRUCache } from 'lru-cache';
import type { Denylist } from '../denylist/denylist';
import type { Principal } from '../principal';

/** What the cache needs to know about the issuer's keys (RemoteKeyStore). */
export interface KeyTrust {
  /** Whether the key is one of the issuer's current keys; asked on every hit, O(1). */
  trusts(kid: string): boolean;
  /** Called with every key that stops being trusted (revoked, or gone from the JWKS). */
  onKeyDropped(listener: (kid: string) => void): void;
}

interface CachedVerification {
  principal: Principal;
  kid: string;
  /** Epoch seconds when the entry stops being served: the token's `exp` or the maximum age, whichever comes first. */
  until: number;
}

/**
 * Tokens already verified, so a repeat request skips the signature check (the dominant cost). A hit is
 * served only while
 * - the entry is younger than its maximum age and the token has not expired (a forger holding a leaked
 *   key picks any `exp`: the maximum age bounds how long one verification counts, whatever it says);
 * - the key that signed it is still trusted (a key revoked in an emergency rollover or gone from the
 *   JWKS is a miss, even after its denylist entry has expired; revoking a key evicts every entry it
 *   signed at once, through an index by `kid`);
 * - the denylist refuses none of it, so a revoked token, grant, subject or client stops at once.
 * Bounded in size (LRU). A hit costs a few map lookups and allocates nothing.
 */
export class VerifiedTokenCache {
  private readonly cache: LRUCache<string, CachedVerification> | undefined;
  /** kid → the tokens it signed that are in the cache (kept in step with LRU evictions by `dispose`). */
  private readonly byKid = new Map<string, Set<string>>();

  constructor(
    size: number,
    private readonly denylist: Denylist,
    private readonly keys: KeyTrust,
    private readonly maxAgeSeconds = 60,
  ) {
    this.cache =
      size > 0
        ? new LRUCache({
            max: size,
            dispose: (entry, token) => {
              const tokens = this.byKid.get(entry.kid);
              tokens?.delete(token);
              if (tokens?.size === 0) this.byKid.delete(entry.kid);
            },
          })
        : undefined;
    keys.onKeyDropped((kid) => this.evictKey(kid));
  }

  get(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Principal | undefined {
    const hit = this.cache?.get(token);
    if (!hit) return undefined;
    const { principal, kid } = hit;
    if (
      hit.until <= nowSeconds ||
      !this.keys.trusts(kid) ||
      this.denylist.isRevoked({ jti: principal.tokenId, gid: principal.grantId, sub: principal.subject, client_id: principal.clientId, iat: principal.issuedAt, kid }, nowSeconds)
    ) {
      this.cache!.delete(token);
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal, kid: string, nowSeconds = Math.floor(Date.now() / 1000)): void {
    // A key dropped while this token was being verified must not leave an entry behind.
    if (!this.cache || !this.keys.trusts(kid)) return;
    this.cache.set(token, { principal, kid, until: Math.min(principal.expiresAt, nowSeconds + this.maxAgeSeconds) });
    let tokens = this.byKid.get(kid);
    if (!tokens) this.byKid.set(kid, (tokens = new Set()));
    tokens.add(token);
  }

  /** Evicts every entry the key signed (a key revocation). */
  evictKey(kid: string): void {
    const tokens = this.byKid.get(kid);
    if (!tokens || !this.cache) return;
    for (const token of [...tokens]) this.cache.delete(token);
    this.byKid.delete(kid);
  }

  clear(): void {
    this.cache?.clear();
    this.byKid.clear();
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  /** Tokens in the kid index (equal to `size` unless something leaks; for tests). */
  get indexedTokens(): number {
    let count = 0;
    for (const tokens of this.byKid.values()) count += tokens.size;
    return count;
  }
}
