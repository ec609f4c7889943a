// Tokens for the HTTP measures: a demo user signed in through the real login page (authorization code +
// PKCE), and, for the "new token on every request" series, many more tokens like that user's own: the
// same header and claims, each with its own `jti` and `iat`, signed with the auth server's active key.
// (The token endpoint serves ~2,000/s; a series at several thousand requests a second for 15 s would
// otherwise wait minutes for its tokens. Re-signed tokens cost a verifier exactly what issued ones do.)
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { workspace } from './system.mjs';

const require = createRequire(import.meta.url);
const { openPrivateJwk } = require(join(workspace, 'dist/apps/auth-server/keys/key-encryption.js'));
const { DEMO_KEY_ENCRYPTION_SECRET } = require(join(workspace, 'dist/apps/auth-server/config/auth-server.config.js'));

export const AUDIENCE = { accounts: 'urn:trustline:accounts', loans: 'urn:trustline:loans', cards: 'urn:trustline:cards' };

/** alice, signed in; her access tokens per audience and her rotating refresh token. */
export const signIn = (system, username = 'alice') =>
  loginUser({
    issuer: system.issuer,
    redirectUri: `${system.auth.env.PUBLIC_GATEWAY_URL}/callback`,
    username,
    password: `${username}-demo-password`,
    resources: Object.values(AUDIENCE),
  });

/** The auth server's active signing key, from its own database, unsealed as the auth server does. */
export async function activeSigningKey(auth) {
  const query = "SELECT kid, private_jwk FROM signing_keys WHERE status = 'active'";
  let row;
  if (auth.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: auth.env.DATABASE_URL });
    await client.connect();
    row = (await client.query(query)).rows[0];
    await client.end();
  } else {
    const database = new Database(join(auth.env.DATA_DIR, 'auth-server.sqlite'), { readonly: true, fileMustExist: true });
    row = database.prepare(query).get();
    database.close();
  }
  const jwk = openPrivateJwk(row.private_jwk, row.kid, auth.env.KEY_ENCRYPTION_SECRET ?? DEMO_KEY_ENCRYPTION_SECRET);
  return { kid: row.kid, key: createPrivateKey({ key: jwk, format: 'jwk' }) };
}

const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (segment) => JSON.parse(Buffer.from(segment, 'base64url').toString());

/** `count` tokens like `token` (same header and claims), each with a new `jti` and `iat`. */
export function tokensLike(token, { key }, count) {
  const [headerPart, payloadPart] = token.split('.');
  const header = decode(headerPart);
  const claims = decode(payloadPart);
  const encodedHeader = part(header);
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, () => {
    const input = `${encodedHeader}.${part({ ...claims, jti: randomUUID(), iat: now })}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  });
}

/** An autocannon request sequence that sends the next token of `tokens` with every request. */
export function eachRequestNewToken(path, tokens) {
  let next = 0;
  return [
    {
      method: 'GET',
      path,
      setupRequest: (request) => {
        if (next >= tokens.length) throw new Error(`ran out of tokens after ${tokens.length}: raise the pool`);
        request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++]}` };
        return request;
      },
    },
  ];
}
