#!/usr/bin/env node
// The infra profile: the same e2e suites against this machine's PostgreSQL. Each server a test starts
// gets a fresh database of its own (prefix below); whatever a crashed run leaves behind is dropped here.
// PG_ADMIN_URL overrides where databases are created.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

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
  const run = spawnSync('npx', ['nx', 'run-many', '-t', 'e2e', '--skip-nx-cache', '--output-style=stream', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TEST_PG_ADMIN_URL: adminUrl, TEST_DB_PREFIX: prefix, TEST_PROFILE: 'infra' },
  });
  status = run.status ?? 1;
} catch (error) {
  console.error(`test:infra: ${error.message}`);
} finally {
  await dropLeftovers().catch((error) => console.error(`test:infra: cleanup failed: ${error.message}`));
}
process.exit(status);
