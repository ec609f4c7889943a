/** Options of `SecurityModule.forRoot`; validated when the module is built (fail closed at boot). */
export interface SecurityModuleOptions {
  /** The exact `iss` every token must carry (ISSUER_URL). */
  issuer: string;
  /** This service's audience (RFC 8707 resource); a token must carry it in `aud`. */
  audience: string | readonly string[];
  /** Where discovery and JWKS are fetched (AUTH_INTERNAL_URL); defaults to `issuer`. Never changes the required `iss`. */
  authInternalUrl?: string;
  /** Accepted signature algorithms: asymmetric only. Default `['ES256']`. */
  algorithms?: readonly string[];
  /** Clock skew allowed on `exp`/`nbf`/`iat`, in seconds (0–MAX_CLOCK_TOLERANCE_SECONDS, 60). Default 30. */
  clockToleranceSeconds?: number;
  /** Longest token accepted, in bytes (a guard against resource exhaustion). Default 8192. */
  maxTokenBytes?: number;
  /** Verified tokens kept in memory (so a repeat token skips the signature check). Default 10,000; 0 disables. */
  verifiedTokenCacheSize?: number;
  /** Longest a verified token is served from that cache before its signature is checked again, whatever its `exp` (1–3600 s). Default 60. */
  verifiedTokenCacheMaxAgeSeconds?: number;
  /** Minimum time between two JWKS refreshes triggered by unknown `kid`s. Default 1,000 ms. */
  jwksRefreshMinIntervalMs?: number;
  /** Register the guard for every route and message handler (default true): default-deny. */
  globalGuard?: boolean;
  /**
   * Pull the auth server's revocation feed every `pollMs` (REVOCATION_POLL_MS, default 1000) with this
   * service's M2M credentials (`m2m` must be set; the client needs `revocations:read`). With `natsUrl`
   * (NATS_URL) it also pulls at once whenever the auth server announces a revocation on NATS.
   * Readiness (RevocationFeed.status): false until the first complete catch-up; false once the feed has
   * been refused (4xx) for `refusedGraceMs` (default 3 poll periods); false once the auth server has been
   * unreachable for `maxStalenessSeconds` since the last complete pull (REVOCATION_MAX_STALENESS_SECONDS,
   * default 300). `lookbackMs` (default 10 s): see LookbackCursor.
   */
  revocationFeed?: { pollMs?: number; natsUrl?: string; maxStalenessSeconds?: number; refusedGraceMs?: number; lookbackMs?: number } | false;
  /** Told about verifications, JWKS refreshes and M2M token requests (metrics; see SecurityObserver). */
  observer?: SecurityObserver;
  /** Fetch implementation (tests). */
  fetch?: typeof fetch;
}

/**
 * What the module reports, for metrics: every verification outcome (`verified`, `cache_hit` or the
 * refusal code), every JWKS refresh, every M2M token request (`cache_hit`, `issued`, `error`). The
 * library stays free of any metrics package; service-runtime binds this to Prometheus.
 */
export interface SecurityObserver {
  verification?(outcome: string): void;
  jwksRefresh?(result: 'ok' | 'error'): void;
  m2mToken?(outcome: 'cache_hit' | 'issued' | 'error'): void;
  /** Every pull of the revocation feed: read to the end, refused (4xx), or unreachable (no answer, 5xx). */
  revocationFeedPull?(outcome: 'ok' | 'refused' | 'unreachable'): void;
  /** Seconds since the feed's last complete pull (on every poll period). */
  revocationFeedStaleness?(seconds: number): void;
}

export const SECURITY_OPTIONS = Symbol('TRUSTLINE_SECURITY_OPTIONS');

/**
 * The largest clock skew any verifier may allow (`clockToleranceSeconds`). The auth server keeps every
 * revocation this much longer than the token it touches can live, so no verifier ever accepts a revoked
 * token inside its skew window; raising it here raises both sides together.
 */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;

export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export interface ResolvedSecurityOptions {
  issuer: string;
  audiences: readonly string[];
  authInternalUrl: string;
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  maxTokenBytes: number;
  verifiedTokenCacheSize: number;
  verifiedTokenCacheMaxAgeSeconds: number;
  jwksRefreshMinIntervalMs: number;
  globalGuard: boolean;
  observer: SecurityObserver;
  fetch: typeof fetch;
}

function httpUrl(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`SecurityModule: "${name}" must be a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`SecurityModule: "${name}" must be a URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`SecurityModule: "${name}" must be http(s)`);
  return value.replace(/\/+$/, '');
}

/** Rejects bad options with a TypeError naming the option, so a misconfigured service never starts. */
export function resolveSecurityOptions(options: SecurityModuleOptions): ResolvedSecurityOptions {
  if (!options || typeof options !== 'object') throw new TypeError('SecurityModule: options are required');
  const issuer = httpUrl('issuer', options.issuer);
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
  if (!audiences.length || audiences.some((audience) => typeof audience !== 'string' || !audience)) {
    throw new TypeError('SecurityModule: "audience" must name this service (a non-empty string)');
  }
  const algorithms = [...(options.algorithms ?? ['ES256'])];
  const allowed = new Set<string>(ASYMMETRIC_ALGORITHMS);
  if (!algorithms.length || algorithms.some((alg) => !allowed.has(alg))) {
    throw new TypeError(`SecurityModule: "algorithms" must be asymmetric JWS algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')}); none and HS* are never accepted`);
  }
  const clockToleranceSeconds = options.clockToleranceSeconds ?? 30;
  if (!Number.isInteger(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new TypeError(`SecurityModule: "clockToleranceSeconds" must be an integer from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  const positive = (name: string, value: number | undefined, fallback: number, min = 1) => {
    const resolved = value ?? fallback;
    if (!Number.isInteger(resolved) || resolved < min) throw new TypeError(`SecurityModule: "${name}" must be an integer ≥ ${min}`);
    return resolved;
  };
  const verifiedTokenCacheMaxAgeSeconds = positive('verifiedTokenCacheMaxAgeSeconds', options.verifiedTokenCacheMaxAgeSeconds, 60, 1);
  if (verifiedTokenCacheMaxAgeSeconds > 3600) throw new TypeError('SecurityModule: "verifiedTokenCacheMaxAgeSeconds" must be an integer from 1 to 3600');
  if (options.revocationFeed) {
    const { pollMs, maxStalenessSeconds, refusedGraceMs, lookbackMs } = options.revocationFeed;
    positive('revocationFeed.pollMs', pollMs, 1000, 1);
    positive('revocationFeed.maxStalenessSeconds', maxStalenessSeconds, 300, 1);
    positive('revocationFeed.refusedGraceMs', refusedGraceMs, 1000, 1);
    positive('revocationFeed.lookbackMs', lookbackMs, 10_000, 0);
  }
  return {
    issuer,
    audiences,
    authInternalUrl: options.authInternalUrl ? httpUrl('authInternalUrl', options.authInternalUrl) : issuer,
    algorithms,
    clockToleranceSeconds,
    maxTokenBytes: positive('maxTokenBytes', options.maxTokenBytes, 8192, 256),
    verifiedTokenCacheSize: positive('verifiedTokenCacheSize', options.verifiedTokenCacheSize, 10_000, 0),
    verifiedTokenCacheMaxAgeSeconds,
    jwksRefreshMinIntervalMs: positive('jwksRefreshMinIntervalMs', options.jwksRefreshMinIntervalMs, 1_000, 0),
    globalGuard: options.globalGuard ?? true,
    observer: options.observer ?? {},
    fetch: options.fetch ?? fetch,
  };
}
