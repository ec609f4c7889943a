import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
// The auth server owns the sealed-key format; the test unseals with the same code rather than a copy.
import { openPrivateJwk } from '../../../auth-server/src/keys/key-encryption';
import { DEMO_KEY_ENCRYPTION_SECRET } from '../../../auth-server/src/config/auth-server.config';
import type { RunningProcess } from '../../../../tools/testing/processes';

interface KeyRow {
  kid: string;
  private_jwk: string;
}

/**
 * The auth server's active signing key, read from its database and unsealed with the (demo) key
 * encryption secret the test started it with. Only a test holding the real key can prove that expiry,
 * `nbf`, `typ` and `iss` are checked for their own sake, not merely because a forged signature fails.
 */
export async function issuerSigningKey(auth: RunningProcess): Promise<{ kid: string; key: KeyObject }> {
  const query = "SELECT kid, private_jwk FROM signing_keys WHERE status = 'active'";
  let row: KeyRow | undefined;
  if (auth.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: auth.env.DATABASE_URL });
    await client.connect();
    try {
      row = (await client.query<KeyRow>(query)).rows[0];
    } finally {
      await client.end();
    }
  } else {
    const database = new Database(join(String(auth.env.DATA_DIR), 'auth-server.sqlite'), { readonly: true, fileMustExist: true });
    try {
      row = database.prepare(query).get() as KeyRow | undefined;
    } finally {
      database.close();
    }
  }
  if (!row) throw new Error('the auth server has no active signing key');
  const jwk = openPrivateJwk(row.private_jwk, row.kid, auth.env.KEY_ENCRYPTION_SECRET ?? DEMO_KEY_ENCRYPTION_SECRET);
  return { kid: row.kid, key: createPrivateKey({ key: jwk as never, format: 'jwk' }) };
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ES256 JWT with exactly this header and these claims, signed by `key`. */
export function signJwt(key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'ES256', ...header })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
