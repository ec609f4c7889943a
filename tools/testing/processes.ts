import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.mjs';

/** The workspace root, from tools/testing. */
export const WORKSPACE = resolve(__dirname, '../..');

/**
 * Every child this test process started. If the test process dies without its afterAll hooks (a crash,
 * a timeout kill, Ctrl-C), the children die with it: no orphan holds a port or a database.
 */
const children = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.once('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    // Handled once: raising it again ends this process the way the signal would have.
    process.kill(process.pid, signal);
  });
}

export { freePort } from './free-port.mjs';

/**
 * In the infra profile (tools/scripts/test-infra.mjs sets TEST_PG_ADMIN_URL and TEST_DB_PREFIX) every
 * process gets a fresh PostgreSQL database of its own, dropped when it stops. Otherwise: undefined.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) return undefined;
  const name = `${process.env.TEST_DB_PREFIX ?? 'trustline_test'}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const connection = new pg.Client({ connectionString: adminUrl });
    await connection.connect();
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface RunningProcess {
  name: string;
  port: number;
  url: string;
  /** The environment it runs with (DATA_DIR, DATABASE_URL, …), for tests that inspect its storage. */
  env: Readonly<Record<string, string | undefined>>;
  /** Its Prometheus endpoint (the metrics port it reported in its ready line). */
  metricsUrl(): string;
  /** Everything the process wrote (for assertions that secrets never reach a log line). */
  output(): string;
  /** Runs another entry of the same app (a CLI) with the same environment; returns its last JSON line. */
  run(main: string, args: string[], env?: Record<string, string>): Record<string, unknown>;
  /** The same without blocking the test's event loop (for commands run while traffic flows). */
  runAsync(main: string, args: string[], env?: Record<string, string>): Promise<Record<string, unknown>>;
  restart(): Promise<void>;
  /** Stops the process, keeping its data (restart() brings it back). */
  halt(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** App name: runs dist/apps/<name>/main.js and waits for `"msg":"<name> ready"`. */
  name: string;
  env?: Record<string, string>;
  port?: number;
  /** Give it a fresh PostgreSQL database in the infra profile (default true). */
  database?: boolean;
}

/**
 * Starts a built app as a real process on an ephemeral port with its own data directory (and its own
 * PostgreSQL database in the infra profile). Resolves once it prints its ready line.
 */
export async function startApp(options: StartOptions): Promise<RunningProcess> {
  const port = options.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), `trustline-${options.name}-`));
  const database = options.database === false ? undefined : await freshPostgresDatabase();
  const dist = join(WORKSPACE, 'dist/apps', options.name);
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // Metrics on any free port (the conventional ones would collide between tests running side by side).
    METRICS_PORT: '0',
    ...(database ? { DATABASE_URL: database.url } : {}),
    // Infra profile: shared counters (rate limits, brute-force) in this machine's Redis, under a prefix
    // of this process's own so parallel tests never count each other's requests.
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: `trustline-test:${options.name}:${port}:${Date.now()}:` } : {}),
    ...options.env,
  };
  let output = '';
  let child: ChildProcess | undefined;
  let metricsPort: number | undefined;

  const launch = async () => {
    const launched = spawn(process.execPath, [join(dist, 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = launched;
    children.add(launched);
    launched.once('exit', () => children.delete(launched));
    let own = '';
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`${options.name} did not start in time:\n${own}`)), 30_000);
      const collect = (chunk: Buffer) => {
        own += String(chunk);
        output += String(chunk);
        if (own.includes(`"msg":"${options.name} ready"`)) {
          const line = own.split('\n').find((candidate) => candidate.includes(`"msg":"${options.name} ready"`));
          try {
            metricsPort = (JSON.parse(line ?? '{}') as { metricsPort?: number }).metricsPort;
          } catch {
            // the ready line is always JSON; a partial chunk is completed by the next one
          }
          clearTimeout(timer);
          ready();
        }
      };
      launched.stdout?.on('data', collect);
      launched.stderr?.on('data', collect);
      launched.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`${options.name} exited with ${code}:\n${own}`));
      });
    });
  };

  const halt = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((done) => running.once('exit', done));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();

  return {
    name: options.name,
    port,
    url: `http://127.0.0.1:${port}`,
    env,
    metricsUrl: () => {
      if (!metricsPort) throw new Error(`${options.name} reported no metrics port`);
      return `http://127.0.0.1:${metricsPort}/metrics`;
    },
    output: () => output,
    run: (main, args, extra = {}) => {
      const result = spawnSync(process.execPath, [join(dist, main), ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${main} ${args[0] ?? ''} failed (${result.status}): ${result.stderr}`);
      return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    },
    runAsync: (main, args, extra = {}) =>
      new Promise((resolveRun, reject) => {
        const child = spawn(process.execPath, [join(dist, main), ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
        child.once('error', reject);
        child.once('exit', (code) => {
          if (code !== 0) return reject(new Error(`${main} ${args[0] ?? ''} failed (${code}): ${stderr}`));
          resolveRun(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);
        });
      }),
    restart: async () => {
      await halt();
      await launch();
    },
    halt,
    stop: async () => {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}

/** The auth server on an ephemeral port, its issuer URL matching the port. */
export async function startAuthServer(env: Record<string, string> = {}): Promise<RunningProcess & { issuer: string }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const running = await startApp({ name: 'auth-server', port, env: { ISSUER_URL: issuer, PUBLIC_GATEWAY_URL: 'http://127.0.0.1:18080', ...env } });
  return Object.assign(running, { issuer });
}

/** HTTP Basic client authentication (RFC 6749 §2.3.1). */
export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A client-credentials access token from a running auth server. */
export async function clientCredentialsToken(issuer: string, clientId: string, resource: string, scope: string, secret = `${clientId}-secret`): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`token request failed: ${body.error}`);
  return body.access_token;
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) };
}

export interface RunningNats {
  url: string;
  stop(): Promise<void>;
}

/** The nats-server binary of this machine (Debian's package, as in the infra profile), if installed. */
export function natsServerBinary(): string | undefined {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    ...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

/**
 * A NATS server of the test's own on an ephemeral port. Request/reply subjects such as
 * `cards.by-customer` are global on a server: test files running side by side on the machine's shared
 * server would answer each other's requests from the wrong database, so each file gets its own server
 * (the same software as the machine's). Undefined when nats-server is not installed.
 */
export async function startNatsServer(options: { config?: string; env?: Record<string, string> } = {}): Promise<RunningNats | undefined> {
  const binary = natsServerBinary();
  if (!binary) return undefined;
  const port = await freePort();
  // With a config file (deploy/nats/nats-server.conf): its users and permissions, on ports of our own.
  const config = options.config ? ['-c', options.config, '-m', String(await freePort())] : [];
  const server = spawn(binary, [...config, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, ...options.env } });
  children.add(server);
  server.once('exit', () => children.delete(server));
  let log = '';
  server.stderr?.on('data', (chunk) => (log += String(chunk)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reachable = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        done(true);
      });
      socket.on('error', () => done(false));
    });
    if (reachable) break;
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      if (server.exitCode !== null) return;
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    },
  };
}

export interface DeploymentNats extends RunningNats {
  /** The NATS_URL of one app, with its own user and demo password (as compose gives it). */
  urlFor(app: string): string;
}

/**
 * A private nats-server with the deployment's config file (deploy/nats/nats-server.conf: a user per app,
 * per-service permissions) and the demo passwords of .env.example, as compose runs it.
 */
export async function startDeploymentNats(): Promise<DeploymentNats | undefined> {
  const passwords = Object.fromEntries(
    readFileSync(join(WORKSPACE, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('NATS_') && line.includes('_PASSWORD='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const nats = await startNatsServer({ config: join(WORKSPACE, 'deploy/nats/nats-server.conf'), env: passwords });
  if (!nats) return undefined;
  const urlFor = (app: string) => {
    const password = passwords[`NATS_${app.toUpperCase().replace(/-/g, '_')}_PASSWORD`];
    if (!password) throw new Error(`no NATS user for ${app} in deploy/nats/nats-server.conf / .env.example`);
    return nats.url.replace('nats://', `nats://${app}:${encodeURIComponent(password)}@`);
  };
  return { ...nats, urlFor };
}
