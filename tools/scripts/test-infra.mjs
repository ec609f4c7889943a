#!/usr/bin/env node
// The infra profile: the same e2e suites against this machine's servers. Each server a test starts gets
// a fresh PostgreSQL database of its own (prefix below; whatever a crashed run leaves behind is dropped
// here); gateways keep their rate-limit counters in Redis under a key prefix of their own; the whole
// system talks RPC over NATS (the harness starts a private nats-server per test file: request/reply
// subjects are global on a server, so files running side by side would answer each other).
// PG_ADMIN_URL and REDIS_URL override where the servers are.
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const adminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `trustline_test_${process.pid}`;

async function dropLeftovers() {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

let status = 1;
try {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query('SHOW server_version');
  await client.end();
  console.log(`test:infra: PostgreSQL ${rows[0].server_version} at ${new URL(adminUrl).host}, databases ${prefix}_*`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  await redis.connect();
  const info = await redis.info('server');
  await redis.quit();
  console.log(`test:infra: Redis ${/redis_version:(\S+)/.exec(info)?.[1]} at ${new URL(redisUrl).host}`);
  const run = spawnSync('npx', ['nx', 'run-many', '-t', 'e2e', '--skip-nx-cache', '--output-style=stream', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TEST_PG_ADMIN_URL: adminUrl, TEST_DB_PREFIX: prefix, TEST_REDIS_URL: redisUrl, TEST_PROFILE: 'infra' },
  });
  status = run.status ?? 1;
} catch (error) {
  console.error(`test:infra: ${error.message}`);
} finally {
  await dropLeftovers().catch((error) => console.error(`test:infra: cleanup failed: ${error.message}`));
}
process.exit(status);
