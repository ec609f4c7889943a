// The system under test for the HTTP measures: the built apps (and the bench fixtures) as real processes
// on free ports, pinned to the system core(s) with taskset, wired as `npm start` wires them. Embedded
// defaults (SQLite, no broker) unless a measure asks for PostgreSQL, Redis or NATS.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../../tools/testing/free-port.mjs';

export const workspace = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');
const TASKSET = '/usr/bin/taskset';

/** The core layout of the run: system under test on core 0, load generator (this process) on core 1. */
export const pinned = () => process.env.BENCH_PINNED === '1' && existsSync(TASKSET);
export const SYSTEM_CORES = '0';

export { freePort };

export const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
/** CPU time (user + system) a process has used so far, in ms. */
export const cpuMsOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};

/**
 * Starts `node <script>` on `cores` and resolves once it prints `{"msg":"<name> ready", "port": …}`.
 * @returns {Promise<{ name: string, pid: number, port: number, metricsPort?: number, url: string, env: Record<string,string>, output(): string, stop(): Promise<void> }>}
 */
export function launch({ name, script, env, cores = SYSTEM_CORES, nodeArgs = [] }) {
  const args = [...nodeArgs, script];
  const child = pinned()
    ? spawn(TASKSET, ['-c', cores, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((ready, fail) => {
    const onData = (chunk) => {
      output += chunk;
      for (const line of output.split('\n')) {
        if (!line.includes(`"msg":"${name} ready"`)) continue;
        const { port, metricsPort } = JSON.parse(line);
        child.stdout.off('data', onData);
        child.stdout.on('data', (more) => (output += more));
        ready({ name, pid: child.pid, port, metricsPort, url: `http://127.0.0.1:${port}`, env, output: () => output, stop });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}): ${output.slice(-800)}`)));
  });
}

export const appScript = (name) => join(workspace, 'dist/apps', name, 'main.js');

/** A fresh PostgreSQL database per app for the run, dropped at the end. */
async function postgresDatabase(adminUrl, app) {
  const name = `trustline_bench_${app.replace(/-/g, '_')}_${process.pid}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * The five apps (or the subset `only` names, with what they need), as `npm start` wires them.
 * @param {{ postgres?: boolean, redis?: boolean, nats?: boolean, pollMs?: number, accountsReplicas?: number, cores?: string, env?: Record<string, Record<string,string>>, nodeArgs?: Record<string, string[]>, only?: string[] }} options
 */
export async function startSystem(options = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'trustline-bench-'));
  const started = [];
  const databases = [];
  const stop = async () => {
    for (const running of started.reverse()) await running.stop().catch(() => undefined);
    for (const database of databases) await database.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const cores = options.cores ?? SYSTEM_CORES;
    const ports = Object.fromEntries(await Promise.all(['auth', 'gateway', 'loans', 'cards', 'rpc'].map(async (key) => [key, await freePort()])));
    const issuer = `http://127.0.0.1:${ports.auth}`;
    const common = {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ISSUER_URL: issuer,
      LOG_LEVEL: 'warn',
      METRICS_PORT: '0',
      REVOCATION_POLL_MS: String(options.pollMs ?? 1000),
      ...(options.nats ? { NATS_URL } : {}),
    };
    const databaseFor = async (app) => {
      if (!options.postgres) return {};
      const database = await postgresDatabase(PG_ADMIN_URL, app);
      databases.push(database);
      return { DATABASE_URL: database.url };
    };
    const start = async (name, env, script = appScript(name)) => {
      const running = await launch({ name, script, cores, env: { ...common, ...env, ...options.env?.[name] }, nodeArgs: options.nodeArgs?.[name] });
      started.push(running);
      return running;
    };
    const auth = await start('auth-server', { PORT: String(ports.auth), PUBLIC_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`, ...(await databaseFor('auth-server')) });
    const only = new Set(options.only ?? ['loans', 'cards', 'accounts', 'gateway']);
    const [loans, cards] = await Promise.all([
      only.has('loans') || only.has('accounts')
        ? start('loans', { PORT: String(ports.loans), CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret', ...(await databaseFor('loans')) })
        : undefined,
      only.has('cards') || only.has('accounts')
        ? start('cards', {
            PORT: String(ports.cards),
            RPC_PORT: String(ports.rpc),
            CLIENT_ID: 'cards-service',
            CLIENT_SECRET: 'cards-service-secret',
            ...(await databaseFor('cards')),
          })
        : undefined,
    ]);
    const accounts = [];
    if (only.has('accounts') || only.has('gateway')) {
      const accountsEnv = {
        LOANS_URL: loans.url,
        CARDS_RPC_URL: `tcp://127.0.0.1:${ports.rpc}`,
        CLIENT_ID: 'accounts-service',
        CLIENT_SECRET: 'accounts-service-secret',
        ...(options.redis ? { REDIS_URL } : {}),
        ...(await databaseFor('accounts')),
      };
      // Replicas one after the other: the first runs the migrations, the next finds them done.
      for (let replica = 0; replica < (options.accountsReplicas ?? 1); replica += 1) accounts.push(await start('accounts', { ...accountsEnv, PORT: String(await freePort()) }));
    }
    const gateway = only.has('gateway')
      ? await start('gateway', {
          PORT: String(ports.gateway),
          PUBLIC_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
          ACCOUNTS_URL: accounts.map((replica) => replica.url).join(','),
          LOANS_URL: loans.url,
          CARDS_URL: cards.url,
          CLIENT_ID: 'gateway',
          CLIENT_SECRET: 'gateway-secret',
          // The bench is one address and one caller: the limits would measure themselves, not the path.
          RATE_LIMIT_PER_IP: '1000000',
          RATE_LIMIT_PER_CALLER: '1000000',
          ...(options.redis ? { REDIS_URL, REDIS_KEY_PREFIX: `trustline-bench:${process.pid}:` } : {}),
        })
      : undefined;
    return { issuer, dataDir, auth, loans, cards, accounts: accounts[0], replicas: accounts, gateway, started, stop, start };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Runs `node <script> <args>` on the system core and returns the JSON it prints last: for measures
 * that run in one process (no HTTP), so that they too run where the system under test runs.
 */
export function runOnSystemCore(script, args = []) {
  return new Promise((resolve, reject) => {
    const command = pinned() ? [TASKSET, ['-c', SYSTEM_CORES, process.execPath, script, ...args]] : [process.execPath, [script, ...args]];
    const child = spawn(command[0], command[1], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      const last = output.trim().split('\n').pop();
      if (code !== 0 || !last) reject(new Error(`${script} exited ${code}: ${output.slice(-500)}`));
      else resolve(JSON.parse(last));
    });
  });
}
