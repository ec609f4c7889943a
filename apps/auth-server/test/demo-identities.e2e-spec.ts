import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningProcess, startApp, WORKSPACE } from '../../../tools/testing/processes';
import { basicAuth, type RunningAuthServer, startAuthServer } from './support/auth-server-process';

/**
 * A database that once ran the demo (the compose volume, a copied DATA_DIR) still holds identities whose
 * passwords and secrets are published in the README. With NODE_ENV=production the auth server refuses
 * to start while any of them still works, naming them (never their secrets); `demo:remove` removes them
 * and everything they hold, and the server then starts.
 */
const KEY_ENCRYPTION_SECRET = 'a-production-key-encryption-secret-of-the-test';
const DEMO_CLIENTS = ['accounts-service', 'cards-service', 'demo-cli', 'gateway', 'loans-service'];

let dev: RunningAuthServer;
let production: RunningProcess | undefined;
let productionEnv: Record<string, string>;

beforeAll(async () => {
  dev = await startAuthServer({ KEY_ENCRYPTION_SECRET });
  await dev.halt();
  const { PORT: _port, METRICS_PORT: _metrics, ...shared } = dev.env;
  productionEnv = { ...(shared as Record<string, string>), NODE_ENV: 'production', ISSUER_URL: 'https://auth.trustline.test', METRICS_PORT: '0' };
});

afterAll(async () => {
  await production?.stop();
  await dev?.stop();
});

/** Starts the server and waits for it to exit; one that gets ready instead is stopped (code null). */
function startAndWaitForExit(env: Record<string, string>, ms = 20_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(WORKSPACE, 'dist/apps/auth-server/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('auth-server ready')) child.kill('SIGKILL');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('demo identities in production', () => {
  it('refuses to start with NODE_ENV=production while the demo users and clients still work, naming them', async () => {
    const { code, output } = await startAndWaitForExit({ ...productionEnv, PORT: String(await freePort()) });
    expect(output).not.toContain('auth-server ready');
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const message = output.split('\n').find((line) => line.includes('demo identities')) ?? '';
    expect(message).toContain('users alice, bob, admin');
    expect(message).toContain(`clients ${DEMO_CLIENTS.join(', ')}`);
    expect(message).toContain('demo:remove');
    // Names only: no password, no secret.
    expect(output).not.toMatch(/demo-password|-secret\b/);
  });

  it('starts once `demo:remove` has removed them; their secrets no longer work', async () => {
    const removed = dev.cli(['demo:remove'], { NODE_ENV: 'production', ISSUER_URL: 'https://auth.trustline.test' });
    expect(removed).toEqual({ users: ['alice', 'bob', 'admin'], clients: DEMO_CLIENTS });
    // Everything they held is revoked: sessions and grants gone, their access tokens refused everywhere.
    const events = dev.cli(['audit:list', '', '200']).events as { type: string; clientId?: string }[];
    expect(
      events
        .filter((event) => event.type === 'client.tokens_revoked')
        .map((event) => event.clientId)
        .sort(),
    ).toEqual(DEMO_CLIENTS);
    expect(events.filter((event) => event.type === 'user.sessions_ended')).toHaveLength(3);

    production = await startApp({ name: 'auth-server', database: false, env: productionEnv });
    const token = await fetch(`${production.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret') },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'urn:trustline:accounts', scope: 'accounts:read' }),
    });
    expect(token.status).toBe(401);
    expect(await token.json()).toMatchObject({ error: 'invalid_client' });
    // Each CLI run boots the app context (seconds on a loaded machine).
  }, 120_000);
});
