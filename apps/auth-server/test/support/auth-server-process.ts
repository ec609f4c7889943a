import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loginUser } from '../../../../tools/testing/pkce-login.mjs';
import { type RunningProcess, startAuthServer as startShared } from '../../../../tools/testing/processes';

export { basicAuth, decodeJwt, freePort } from '../../../../tools/testing/processes';

export interface RunningAuthServer extends RunningProcess {
  issuer: string;
  /** Runs the auth server's CLI against the same database; returns its parsed JSON output. */
  cli(args: string[], env?: Record<string, string>): Record<string, unknown>;
}

/** The built auth server as a real process (see tools/testing/processes.ts). */
export async function startAuthServer(env: Record<string, string> = {}): Promise<RunningAuthServer> {
  const running = await startShared(env);
  return Object.assign(running, { cli: (args: string[], extra?: Record<string, string>) => running.run('cli.js', args, extra) });
}

/** The demo administrator's access token for the auth server's own admin API. */
export async function adminAccessToken(issuer: string, redirectUri: string): Promise<string> {
  const admin = await loginUser({ issuer, redirectUri, username: 'admin', password: 'admin-demo-password', resources: ['urn:trustline:auth'], scope: 'openid admin' });
  return admin.accessTokens['urn:trustline:auth'];
}

/** GET /admin/audit (newest first, up to 1000 rows). */
export async function auditEvents<Row>(issuer: string, adminToken: string, query: Record<string, string> = {}): Promise<Row[]> {
  const response = await fetch(`${issuer}/admin/audit?${new URLSearchParams({ limit: '1000', ...query })}`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (response.status !== 200) throw new Error(`GET /admin/audit answered ${response.status}`);
  return (await response.json()) as Row[];
}

/** SQL against a running server's own database: PostgreSQL in the infra profile, its SQLite file otherwise. */
export async function serverSql(server: RunningProcess, text: string): Promise<Record<string, unknown>[]> {
  if (server.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(text)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }
  const database = new Database(join(String(server.env.DATA_DIR), 'auth-server.sqlite'), { timeout: 5_000 });
  try {
    const statement = database.prepare(text);
    return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
  } finally {
    database.close();
  }
}
