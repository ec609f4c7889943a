/**
 * A minimal browser for protocol tests: a cookie jar and manual redirects, so every hop of the
 * authorization code flow is visible to the test. (A real browser drives the portal in the e2e project.)
 */
export class TestBrowser {
  private readonly cookies = new Map<string, string>();

  async request(url: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.cookies.entries()].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = pair.split('=');
      const expired = attributes.some((attribute) => /^\s*expires=Thu, 01 Jan 1970/i.test(attribute) || /^\s*max-age=0\b/i.test(attribute));
      if (expired) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), rest.join('='));
    }
    return response;
  }

  /** Follows redirects until one leaves for `stopAt` (the client's redirect URI) or a page is shown. */
  async follow(url: string | URL, stopAt?: string): Promise<{ response: Response; url: string }> {
    let current = new URL(url).toString();
    for (let hop = 0; hop < 10; hop += 1) {
      if (stopAt && current.startsWith(stopAt)) return { response: new Response(null, { status: 200 }), url: current };
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      current = new URL(location, current).toString();
    }
    throw new Error('too many redirects');
  }

  hasCookies(): boolean {
    return this.cookies.size > 0;
  }
}

/** The value of a hidden input in an HTML form. */
export function hiddenInput(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden input ${name} in page`);
  return match[1];
}

export function formAction(html: string, suffix: string): string {
  const match = new RegExp(`action="([^"]*/${suffix})"`).exec(html);
  if (!match) throw new Error(`no form posting to */${suffix}`);
  return match[1];
}

/** The authorization request the portal sends (code + PKCE, one resource) as a URL on `issuer`. */
export function portalAuthorizeUrl(issuer: string, redirectUri: string): URL {
  const authorize = new URL('/auth', issuer);
  authorize.search = new URLSearchParams({
    client_id: 'portal',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid accounts:read',
    resource: 'urn:trustline:accounts',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'state-1',
  }).toString();
  return authorize;
}
