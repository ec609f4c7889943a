export interface ClientCredentialsOptions {
  issuer: string;
  /** Where the token endpoint is reached (AUTH_INTERNAL_URL); defaults to the issuer. */
  authInternalUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Renew this long before expiry (default 30 s, or a fifth of a short lifetime). */
  refreshSkewSeconds?: number;
  /** Attempts on network errors and 5xx (default 3), with exponential backoff from `retryBaseMs`. */
  attempts?: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
  onTokenRequest?: (outcome: 'cache_hit' | 'issued' | 'error') => void;
}

interface CachedToken {
  accessToken: string;
  renewAt: number;
  expiresAt: number;
}

/** The auth server refused the request (RFC 6749 §5.2); retrying would not help. */
export class TokenRequestError extends Error {
  constructor(
    readonly error: string,
    readonly status: number,
  ) {
    super(`token request refused: ${error}`);
    this.name = 'TokenRequestError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) await sleep(base * 2 ** (attempt - 1));
      try {
        return await this.requestOnce(audience, scopes);
      } catch (error) {
        lastError = error;
        if (error instanceof TokenRequestError && error.status < 500) break;
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
    if (!response.ok || typeof body.access_token !== 'string') throw new TokenRequestError(body.error ?? 'invalid_response', response.status);
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
