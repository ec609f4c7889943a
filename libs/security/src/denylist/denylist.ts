import { MAX_CLOCK_TOLERANCE_SECONDS } from '../security.options';

/** One revocation, as the auth server's feed and events carry it (CONVENTIONS.md). */
export interface RevocationEntry {
  type: 'jti' | 'grant' | 'sub' | 'client' | 'kid';
  value: string;
  /** Epoch seconds of the revocation: `sub`/`client` entries refuse tokens issued at or before it (`grant` entries refuse every token of the grant). */
  at: number;
  /** Epoch seconds until which the entry matters (the end of the longest token it can touch). */
  exp: number;
}

export interface RevocableToken {
  jti?: unknown;
  gid?: unknown;
  sub?: unknown;
  client_id?: unknown;
  iat?: unknown;
  /** The signing key's id (from the token header): a revoked key kills every token it signed. */
  kid?: unknown;
}

/**
 * Revoked tokens, grants, subjects and clients, kept in memory until each entry's `exp` plus this
 * verifier's clock tolerance: a verifier accepts a token until `exp` + tolerance (RFC 7519 §4.1.4's
 * leeway), so it must refuse a revoked one exactly as long, and prunes only after that. Checked on every
 * request, including verified-cache hits; lookups are O(1).
 */
export class Denylist {
  /**
   * @param graceSeconds how long past an entry's `exp` it still refuses: the verifier's
   * `clockToleranceSeconds` (the module passes it); by default the largest any verifier may allow.
   */
  constructor(private readonly graceSeconds: number = MAX_CLOCK_TOLERANCE_SECONDS) {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_CLOCK_TOLERANCE_SECONDS) {
      throw new RangeError(`Denylist: graceSeconds must be an integer from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
    }
  }

  private readonly entries = {
    jti: new Map<string, RevocationEntry>(),
    grant: new Map<string, RevocationEntry>(),
    sub: new Map<string, RevocationEntry>(),
    client: new Map<string, RevocationEntry>(),
    kid: new Map<string, RevocationEntry>(),
  };

  add(entry: RevocationEntry): void {
    const current = this.entries[entry.type].get(entry.value);
    // Keep the latest revocation time: a later logout must cover tokens issued before it.
    if (!current || current.at < entry.at || current.exp < entry.exp) {
      this.entries[entry.type].set(entry.value, { ...entry, at: Math.max(entry.at, current?.at ?? 0), exp: Math.max(entry.exp, current?.exp ?? 0) });
    }
  }

  isRevoked(claims: RevocableToken, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
    if (typeof claims.jti === 'string' && this.live(this.entries.jti.get(claims.jti), nowSeconds)) return true;
    if (typeof claims.kid === 'string' && this.live(this.entries.kid.get(claims.kid), nowSeconds)) return true;
    // A revoked grant never issues again: every token naming it is dead, even one signed a moment after
    // the revocation by a request that raced it (a refresh that won while its reuse revoked the grant).
    if (typeof claims.gid === 'string' && this.live(this.entries.grant.get(claims.gid), nowSeconds)) return true;
    const iat = typeof claims.iat === 'number' ? claims.iat : 0;
    for (const [type, value] of [
      ['sub', claims.sub],
      ['client', claims.client_id],
    ] as const) {
      if (typeof value !== 'string') continue;
      const entry = this.entries[type].get(value);
      if (this.live(entry, nowSeconds) && iat <= entry!.at) return true;
    }
    return false;
  }

  /** Drops entries no token they refuse can still be accepted for (past `exp` plus the grace). */
  prune(nowSeconds = Math.floor(Date.now() / 1000)): void {
    for (const map of Object.values(this.entries)) for (const [key, entry] of map) if (!this.live(entry, nowSeconds)) map.delete(key);
  }

  get size(): number {
    return Object.values(this.entries).reduce((sum, map) => sum + map.size, 0);
  }

  private live(entry: RevocationEntry | undefined, now: number): boolean {
    return entry !== undefined && entry.exp + this.graceSeconds >= now;
  }
}
