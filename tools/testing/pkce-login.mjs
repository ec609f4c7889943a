// Signs a user in the way the portal does (authorization code + PKCE through the auth server's real
// HTML login page), then gets one access token per audience with the refresh-token grant, one refresh at
// a time (each rotates the refresh token). Shared by the e2e suites and `npm run demo`, so both exercise
// the protocol exactly as a browser app would. openid-client (a certified relying-party library) does
// the protocol; this file only plays the browser: cookies, redirects, the login form.
import * as client from 'openid-client';

class CookieJar {
  #cookies = new Map();

  async fetch(url, init = {}) {
    const headers = { ...init.headers };
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookie) headers.cookie = cookie;
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = pair.split('=');
      if (attributes.some((attribute) => /^\s*(expires=Thu, 01 Jan 1970|max-age=0\b)/i.test(attribute))) this.#cookies.delete(name.trim());
      else this.#cookies.set(name.trim(), rest.join('='));
    }
    return response;
  }
}

const hidden = (html, name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
const action = (html, suffix) => new RegExp(`action="([^"]*/${suffix})"`).exec(html)?.[1];

/**
 * @param {{ issuer: string, clientId?: string, redirectUri: string, username: string, password: string, resources: string[], scope?: string }} options
 */
export async function loginUser(options) {
  const issuer = new URL(options.issuer);
  const config = await client.discovery(
    issuer,
    options.clientId ?? 'portal',
    undefined,
    client.None(),
    issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
  );
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const resourceScopes = options.resources.flatMap((resource) => {
    const service = resource.split(':').pop();
    return [`${service}:read`, `${service}:write`];
  });
  const parameters = new URLSearchParams({
    redirect_uri: options.redirectUri,
    scope: options.scope ?? ['openid', 'profile', 'offline_access', ...resourceScopes].join(' '),
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  for (const resource of options.resources) parameters.append('resource', resource);

  // The browser part: follow redirects to the login page, post the form, follow back to the redirect URI.
  const jar = new CookieJar();
  let url = client.buildAuthorizationUrl(config, parameters).toString();
  for (let hop = 0; hop < 10 && !url.startsWith(options.redirectUri); hop += 1) {
    const response = await jar.fetch(url);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    const page = await response.text();
    const login = action(page, 'login');
    if (!login) throw new Error(`expected the login page, got HTTP ${response.status}`);
    const posted = await jar.fetch(new URL(login, issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer.origin },
      body: new URLSearchParams({ csrf: hidden(page, 'csrf') ?? '', username: options.username, password: options.password }),
    });
    const next = posted.headers.get('location');
    if (posted.status !== 303 || !next) throw new Error(`login refused for ${options.username} (HTTP ${posted.status})`);
    url = new URL(next, issuer).toString();
  }
  if (!url.startsWith(options.redirectUri)) throw new Error('the authorization did not come back to the redirect URI');

  const [first, ...others] = options.resources;
  const initial = await client.authorizationCodeGrant(config, new URL(url), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, { resource: first });
  const accessTokens = { [first]: initial.access_token };
  let refreshToken = initial.refresh_token;
  // One refresh at a time: each rotates the refresh token, and a used one presented again revokes the grant.
  for (const resource of others) {
    const refreshed = await client.refreshTokenGrant(config, refreshToken, { resource });
    accessTokens[resource] = refreshed.access_token;
    refreshToken = refreshed.refresh_token ?? refreshToken;
  }
  /** RP-initiated logout in the same browser session, confirming on the auth server's page. */
  const signOut = async () => {
    const endSession = new URL(config.serverMetadata().end_session_endpoint);
    endSession.searchParams.set('client_id', options.clientId ?? 'portal');
    if (initial.id_token) endSession.searchParams.set('id_token_hint', initial.id_token);
    const shown = await jar.fetch(endSession);
    const page = await shown.text();
    const xsrf = hidden(page, 'xsrf');
    if (!xsrf) throw new Error(`expected the sign-out confirmation, got HTTP ${shown.status}`);
    const confirmed = await jar.fetch(new URL('/session/end/confirm', issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer.origin },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    if (confirmed.status >= 400) throw new Error(`sign-out failed (HTTP ${confirmed.status})`);
  };

  return { accessTokens, refreshToken, idToken: initial.id_token, subject: initial.claims()?.sub, signOut };
}
