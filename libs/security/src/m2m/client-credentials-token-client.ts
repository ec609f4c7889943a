export interface ClientCredentialsOptions {
  issuer: string;
  /** Where the token endpoint is reached (AUTH_INTERNAL_URL); defaults to the issuer. */
  authInternalUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Renew this long before expiry (default 30 s, or a fifth of a short lifetime). */
  refreshSkewSeconds?: number;
  /**
   * Attempts on network errors, 5xx and 429 (default 3), with exponential backoff from `retryBaseMs`
   * (default 100 ms) and full jitter; a `Retry-After` (RFC 9110 §10.2.3) is honoured instead.
   */
  attempts?: number;
  retryBaseMs?: number;
  /**
   * Longest wait before a retry inside one call (default 5 s). A `Retry-After` beyond it fails the call
   * at once (the caller has its own schedule), and no request is made before it has passed (at most
   * `retryAfterCapMs` later, default 60 s): a server that asked for time gets it.
   */
  maxRetryDelayMs?: number;
  retryAfterCapMs?: number;
  /** Random source of the jitter (tests). */
  random?: () => number;
  fetch?: typeof fetch;
  onTokenRequest?: (outcome: 'cache_hit' | 'issued' | 'error') => void;
}

interface CachedToken {
  accessToken: string;
  renewAt: number;
  expiresAt: number;
}

/**
 * The auth server answered the token request with an error (RFC 6749 §5.2): a 4xx other than 429 is a
 * refusal that retrying would not change; 429 and 503 say "later" (`retryAfterMs` when it said when).
 */
export class TokenRequestError extends Error {
  constructor(
    readonly error: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`token request refused: ${error} (HTTP ${status})`);
    this.name = 'TokenRequestError';
  }

  /** Worth retrying: the server is overloaded or rate-limiting, not refusing these credentials. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`; undefined if absent or malformed. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) || !/[a-z]/i.test(trimmed) ? undefined : Math.max(0, date - now);
}

/**
 * Machine-to-machine access tokens by client credentials: one per (audience, scopes), cached until
 * shortly before it expires, one request in flight per key however many callers wait, retried with
 * backoff on transient failures. A user's token is never forwarded: each call carries this service's own
 * token for the callee's audience with the least scope.
 */
export class ClientCredentialsTokenClient {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private tokenEndpoint: string | undefined;
  private readonly fetchImpl: typeof fetch;
  /** No token request before this instant (the server's last `Retry-After`, capped). */
  private notBefore = 0;
  private notBeforeError: TokenRequestError | undefined;

  constructor(private readonly options: ClientCredentialsOptions) {
    if (!options.clientId || !options.clientSecret) throw new TypeError('ClientCredentialsTokenClient: "clientId" and "clientSecret" are required');
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** An access token for `audience` with exactly `scopes`. */
  async getToken(audience: string, scopes: readonly string[]): Promise<string> {
    const key = `${audience} ${[...scopes].sort().join(' ')}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.renewAt > now) {
      this.options.onTokenRequest?.('cache_hit');
      return cached.accessToken;
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.request(audience, scopes).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    try {
      const fresh = await pending;
      this.cache.set(key, fresh);
      return fresh.accessToken;
    } catch (error) {
      // Still-valid token beats no token while the auth server recovers.
      if (cached && cached.expiresAt > Date.now()) return cached.accessToken;
      throw error;
    }
  }

  /** `Authorization` header value for a call to `audience`. */
  async authorization(audience: string, scopes: readonly string[]): Promise<string> {
    return `Bearer ${await this.getToken(audience, scopes)}`;
  }

  /** Forgets a token (after the callee answered 401, e.g. when it was revoked). */
  invalidate(audience: string, scopes: readonly string[]): void {
    this.cache.delete(`${audience} ${[...scopes].sort().join(' ')}`);
  }

  private async request(audience: string, scopes: readonly string[]): Promise<CachedToken> {
    const attempts = this.options.attempts ?? 3;
    const base = this.options.retryBaseMs ?? 100;
    const maxDelay = this.options.maxRetryDelayMs ?? 5_000;
    const random = this.options.random ?? Math.random;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const wait = this.notBefore - Date.now();
      if (wait > maxDelay) {
        lastError = this.notBeforeError;
        break;
      }
      if (wait > 0) await sleep(wait);
      try {
        return await this.requestOnce(audience, scopes);
      } catch (error) {
        lastError = error;
        if (error instanceof TokenRequestError && !error.retryable) break;
        // A Retry-After set notBefore (waited for at the top of the loop); else exponential backoff with full jitter.
        if (attempt + 1 < attempts && !(error instanceof TokenRequestError && error.retryAfterMs !== undefined)) {
          await sleep(Math.floor(random() * Math.min(maxDelay, base * 2 ** attempt)));
        }
      }
    }
    this.options.onTokenRequest?.('error');
    throw lastError;
  }

  private async requestOnce(audience: string, scopes: readonly string[]): Promise<CachedToken> {
    const endpoint = await this.endpoint();
    const credentials = Buffer.from(`${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`).toString('base64');
    const response = await this.fetchImpl(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience, scope: scopes.join(' ') }).toString(),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!response.ok || typeof body.access_token !== 'string') {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const error = new TokenRequestError(body.error ?? 'invalid_response', response.status, retryAfterMs);
      if (retryAfterMs !== undefined) {
        // Honoured by every later request, with a little jitter so replicas do not come back in step.
        const jitter = Math.floor((this.options.random ?? Math.random)() * (this.options.retryBaseMs ?? 100));
        this.notBefore = Date.now() + Math.min(retryAfterMs, this.options.retryAfterCapMs ?? 60_000) + jitter;
        this.notBeforeError = error;
      }
      throw error;
    }
    this.notBefore = 0;
    this.options.onTokenRequest?.('issued');
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 60) * 1000;
    const skewMs = Math.min((this.options.refreshSkewSeconds ?? 30) * 1000, lifetimeMs / 5);
    const now = Date.now();
    return { accessToken: body.access_token, renewAt: now + lifetimeMs - skewMs, expiresAt: now + lifetimeMs };
  }

  private async endpoint(): Promise<string> {
    if (this.tokenEndpoint) return this.tokenEndpoint;
    const issuer = this.options.issuer.replace(/\/+$/, '');
    const internal = (this.options.authInternalUrl ?? issuer).replace(/\/+$/, '');
    const response = await this.fetchImpl(`${internal}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new TokenRequestError('discovery_failed', 503);
    const discovery = (await response.json()) as { issuer?: string; token_endpoint?: string };
    if (discovery.issuer !== issuer || typeof discovery.token_endpoint !== 'string') throw new TokenRequestError('discovery_mismatch', 502);
    const endpoint = discovery.token_endpoint.startsWith(`${issuer}/`) ? `${internal}${discovery.token_endpoint.slice(issuer.length)}` : discovery.token_endpoint;
    this.tokenEndpoint = endpoint;
    return endpoint;
  }
}
