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
  alg: string | undefined;
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

  /** The key for a token's `kid`, refreshing once if it is unknown. */
  async keyFor(kid: unknown): Promise<KeyObject> {
    if (typeof kid !== 'string' || !kid) throw new TokenVerificationError('KEY_UNKNOWN', 'token has no kid');
    const known = this.keys.get(kid);
    if (known) return known.key;
    if (this.dropped.has(kid)) throw new TokenVerificationError('KEY_UNKNOWN', 'key was revoked');
    // A new kid right after a refresh is most likely a rotation that refresh just missed: wait for the
    // next allowed refresh (a short, bounded wait) rather than refuse a good token.
    const sinceLast = Date.now() - this.lastAttempt;
    const wait = this.options.refreshMinIntervalMs - sinceLast;
    if (this.loadedOnce && !this.inFlight && wait > 0 && wait <= MAX_WAIT_FOR_REFRESH_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const arrived = this.keys.get(kid);
      if (arrived) return arrived.key;
    }
    // Until the first successful load there is nothing to protect and nothing to verify with: try
    // (single-flight) on every miss. Afterwards, unknown kids refresh at most once per interval.
    if (!this.loadedOnce || Date.now() - this.lastAttempt >= this.options.refreshMinIntervalMs || this.inFlight) {
      await this.refresh().catch(() => undefined);
    }
    const refreshed = this.keys.get(kid);
    if (refreshed) return refreshed.key;
    throw new TokenVerificationError(this.loadedOnce ? 'KEY_UNKNOWN' : 'KEYS_UNAVAILABLE', 'no such key');
  }

  /** Forgets a key at once (emergency rollover): tokens it signed stop verifying here. */
  dropKey(kid: string): void {
    this.keys.delete(kid);
    this.dropped.add(kid);
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
          next.set(kid, { key: createPublicKey({ key: jwk as never, format: 'jwk' }), alg: typeof jwk.alg === 'string' ? jwk.alg : undefined });
        } catch {
          // An unusable key is skipped; the others still work.
        }
      }
      this.keys = next;
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
