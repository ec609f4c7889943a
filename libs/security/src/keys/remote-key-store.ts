import { createPublicKey, type KeyObject } from 'node:crypto';
import { TokenVerificationError } from '../errors';

export interface RemoteKeyStoreOptions {
  issuer: string;
  authInternalUrl: string;
  algorithms: readonly string[];
  refreshMinIntervalMs: number;
  /** Background refresh period, so retired keys leave and new ones arrive before first use. */
  refreshIntervalMs?: number;
  fetch: typeof fetch;
  onRefresh?: (outcome: 'ok' | 'error') => void;
}

interface CachedKey {
  key: KeyObject;
  /** The algorithms this key may verify: its JWK's `alg`, or (without one) those its type and curve serve. */
  algs: readonly string[];
}

/** Node's names of the JOSE curves P-256, P-384 and P-521, and the one algorithm each serves. */
const EC_ALGS: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/**
 * What a public key can verify, by its type and curve (RFC 7518 §3.1). A JWK that names an `alg` is
 * held to it (RFC 7517 §4.4, RFC 8725 §3.1: one key, one algorithm) and skipped when the alg
 * contradicts the key (an ES256 JWK on P-384, an RSA JWK claiming ES256).
 */
function algorithmsFor(key: KeyObject, jwkAlg: unknown, accepted: readonly string[]): string[] {
  const byType =
    key.asymmetricKeyType === 'ec'
      ? [EC_ALGS[String(key.asymmetricKeyDetails?.namedCurve)]].filter(Boolean)
      : key.asymmetricKeyType === 'rsa'
        ? RSA_ALGS
        : key.asymmetricKeyType === 'rsa-pss'
          ? RSA_ALGS.filter((alg) => alg.startsWith('PS'))
          : [];
  const allowed = typeof jwkAlg === 'string' ? byType.filter((alg) => alg === jwkAlg) : byType;
  return allowed.filter((alg) => accepted.includes(alg));
}

/** Longest a request waits for the next allowed JWKS refresh when it brings an unknown kid. */
const MAX_WAIT_FOR_REFRESH_MS = 2_000;

/**
 * The issuer's signing keys, from its discovery document and JWKS, held as ready KeyObjects so the hot
 * path never parses a key or touches the network. An unknown `kid` triggers one refresh (single-flight,
 * at most once per `refreshMinIntervalMs`, so forged kids cannot hammer the auth server; a request that
 * arrives inside that interval waits for the next allowed refresh, up to 2 s, instead of failing). A failed
 * refresh keeps the keys already known: verification goes on while the auth server is down.
 */
export class RemoteKeyStore {
  private keys = new Map<string, CachedKey>();
  private inFlight: Promise<void> | undefined;
  private lastAttempt = 0;
  private loadedOnce = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly dropped = new Set<string>();
  private readonly dropListeners: ((kid: string) => void)[] = [];

  constructor(private readonly options: RemoteKeyStoreOptions) {}

  /** Loads the keys now and keeps them fresh in the background. Never throws: a later use retries. */
  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    if (this.options.refreshIntervalMs && !this.timer) {
      this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.options.refreshIntervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get ready(): boolean {
    return this.loadedOnce;
  }

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** Whether `kid` is one of the issuer's current keys (O(1); the verified-token cache asks on every hit). */
  trusts(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** Told of every key that stops being trusted: revoked (`dropKey`) or gone from the JWKS on a refresh. */
  onKeyDropped(listener: (kid: string) => void): void {
    this.dropListeners.push(listener);
  }

  /**
   * The key for a token's `kid`, refreshing once if it is unknown. With the token header's `alg`, the
   * key must have been published for that algorithm (or, without a JWK `alg`, serve it by type and curve).
   */
  async keyFor(kid: unknown, alg?: string): Promise<KeyObject> {
    if (typeof kid !== 'string' || !kid) throw new TokenVerificationError('KEY_UNKNOWN', 'token has no kid');
    const known = this.keys.get(kid);
    if (known) return this.checked(known, alg);
    if (this.dropped.has(kid)) throw new TokenVerificationError('KEY_UNKNOWN', 'key was revoked');
    // A new kid right after a refresh is most likely a rotation that refresh just missed: wait for the
    // next allowed refresh (a short, bounded wait) rather than refuse a good token.
    const sinceLast = Date.now() - this.lastAttempt;
    const wait = this.options.refreshMinIntervalMs - sinceLast;
    if (this.loadedOnce && !this.inFlight && wait > 0 && wait <= MAX_WAIT_FOR_REFRESH_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const arrived = this.keys.get(kid);
      if (arrived) return this.checked(arrived, alg);
    }
    // Until the first successful load there is nothing to protect and nothing to verify with: try
    // (single-flight) on every miss. Afterwards, unknown kids refresh at most once per interval.
    if (!this.loadedOnce || Date.now() - this.lastAttempt >= this.options.refreshMinIntervalMs || this.inFlight) {
      await this.refresh().catch(() => undefined);
    }
    const refreshed = this.keys.get(kid);
    if (refreshed) return this.checked(refreshed, alg);
    throw new TokenVerificationError(this.loadedOnce ? 'KEY_UNKNOWN' : 'KEYS_UNAVAILABLE', 'no such key');
  }

  /** Forgets a key at once (emergency rollover): tokens it signed stop verifying here, cached or not. */
  dropKey(kid: string): void {
    this.keys.delete(kid);
    this.dropped.add(kid);
    this.notifyDropped(kid);
  }

  private checked(cached: CachedKey, alg: string | undefined): KeyObject {
    if (alg !== undefined && !cached.algs.includes(alg)) throw new TokenVerificationError('ALGORITHM_NOT_ALLOWED', 'key is not published for this alg');
    return cached.key;
  }

  private notifyDropped(kid: string): void {
    for (const listener of this.dropListeners) listener(kid);
  }

  /** Fetches discovery and JWKS; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    this.lastAttempt = Date.now();
    try {
      const discovery = await this.getJson(`${this.options.authInternalUrl}/.well-known/openid-configuration`);
      if (discovery.issuer !== this.options.issuer) throw new Error(`discovery names issuer ${String(discovery.issuer)}, expected ${this.options.issuer}`);
      if (typeof discovery.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
      const jwks = await this.getJson(this.internalUrl(discovery.jwks_uri));
      if (!Array.isArray(jwks.keys)) throw new Error('JWKS has no keys array');
      const next = new Map<string, CachedKey>();
      for (const jwk of jwks.keys as Record<string, unknown>[]) {
        const kid = jwk.kid;
        if (typeof kid !== 'string' || this.dropped.has(kid)) continue;
        if (jwk.use !== undefined && jwk.use !== 'sig') continue;
        if (typeof jwk.alg === 'string' && !this.options.algorithms.includes(jwk.alg)) continue;
        // Symmetric or private material in a JWKS is a misconfiguration; never accept it as a verification key.
        if (jwk.kty === 'oct' || 'd' in jwk) continue;
        try {
          const key = createPublicKey({ key: jwk as never, format: 'jwk' });
          const algs = algorithmsFor(key, jwk.alg, this.options.algorithms);
          // A key that can verify none of the accepted algorithms (or contradicts its own alg) is useless.
          if (algs.length) next.set(kid, { key, algs });
        } catch {
          // An unusable key is skipped; the others still work.
        }
      }
      const previous = this.keys;
      this.keys = next;
      for (const kid of previous.keys()) if (!next.has(kid)) this.notifyDropped(kid);
      this.loadedOnce = true;
      this.options.onRefresh?.('ok');
    } catch (error) {
      this.options.onRefresh?.('error');
      throw error;
    }
  }

  /** Fetch the JWKS from the internal address even when discovery names the public one. */
  private internalUrl(jwksUri: string): string {
    if (jwksUri.startsWith(`${this.options.issuer}/`)) return `${this.options.authInternalUrl}${jwksUri.slice(this.options.issuer.length)}`;
    return jwksUri;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    const response = await this.options.fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  }
}
