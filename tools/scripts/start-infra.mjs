#!/usr/bin/env node
// `npm run start:infra`: the docker-compose topology as plain processes against this machine's
// PostgreSQL, NATS and Redis, with the variables the compose file sets (values for loopback). Each
// database is created when missing. Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { infraTopology } from './infra-topology.mjs';

const workspace = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const pgUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const { apps, databases } = infraTopology({ workspace, pgUrl, natsUrl: process.env.NATS_URL, redisUrl: process.env.REDIS_URL });

const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build'], { stdio: 'inherit', cwd: workspace });
if (build.status !== 0) process.exit(build.status ?? 1);

const admin = new pg.Client({ connectionString: pgUrl });
await admin.connect();
for (const database of databases) {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${database}`);
}
await admin.end();

const children = [];
const stop = (code) => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// In the compose start order, each app once the previous ones are ready (compose's health gates).
for (const app of apps) {
  await new Promise((ready, fail) => {
    const child = spawn(process.execPath, [`dist/apps/${app.name}/main.js`], { cwd: workspace, env: { PATH: process.env.PATH, ...app.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        if (line.includes(`"msg":"${app.name} ready"`)) ready();
        else process.stdout.write(`[${app.name}] ${line}\n`);
      }
    });
    child.on('exit', (code) => {
      fail(new Error(`${app.name} exited (${code})`));
      stop(code ?? 1);
    });
  });
}

const gateway = apps.find((app) => app.name === 'gateway');
const auth = apps.find((app) => app.name === 'auth-server');
console.log(`
Trustline is running the compose topology as local processes (PostgreSQL ${databases.join(', ')}, NATS, Redis). Ctrl-C stops it.
  gateway + portal  ${gateway.env.PUBLIC_GATEWAY_URL}
  auth-server       ${auth.env.ISSUER_URL}
`);
