#!/usr/bin/env node
// `npm start`: builds the workspace, then runs every app on embedded defaults (SQLite under ./data, no
// broker) and prints one banner with the URLs and the demo credentials once all are ready.
import { spawn, spawnSync } from 'node:child_process';

import { existsSync } from 'node:fs';

// The whole system on CONVENTIONS.md's ports; apps not built yet are skipped.
const issuer = process.env.ISSUER_URL ?? 'http://localhost:9000';
const apps = [
  { name: 'auth-server', port: 9000, url: issuer, env: {} },
  {
    name: 'accounts',
    port: 8081,
    url: 'http://localhost:8081',
    env: {
      CLIENT_ID: 'accounts-service',
      CLIENT_SECRET: 'accounts-service-secret',
      LOANS_URL: `http://localhost:${process.env.LOANS_PORT ?? 8082}`,
      CARDS_RPC_URL: 'tcp://localhost:8093',
    },
  },
  { name: 'loans', port: 8082, url: 'http://localhost:8082', env: { CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret' } },
  { name: 'cards', port: 8083, url: 'http://localhost:8083', env: { CLIENT_ID: 'cards-service', CLIENT_SECRET: 'cards-service-secret' } },
  // trustline-generator: start-apps
  { name: 'gateway', port: 8080, url: 'http://localhost:8080', env: { CLIENT_ID: 'gateway', CLIENT_SECRET: 'gateway-secret' } },
]
  .map((app) => ({ ...app, main: `dist/apps/${app.name}/main.js` }))
  .filter((app) => existsSync(app.main) || app.name === 'auth-server');

const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const children = [];
let ready = 0;
let stopping = false;

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}

for (const app of apps) {
  const child = spawn(process.execPath, [app.main], {
    env: { ...app.env, ...process.env, PORT: process.env[`${app.name.toUpperCase().replace('-', '_')}_PORT`] ?? String(app.port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      if (line.includes(`"msg":"${app.name} ready"`)) {
        ready += 1;
        if (ready === apps.length) banner();
      } else {
        process.stdout.write(`[${app.name}] ${line}\n`);
      }
    }
  });
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`${app.name} exited (${code}); stopping the rest`);
      stop(code ?? 1);
    }
  });
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

function banner() {
  const rows = apps.map(
    (app) =>
      `  ${app.name.padEnd(12)}  ${app.url}${app.name === 'auth-server' ? `   discovery: ${issuer}/.well-known/openid-configuration` : app.name === 'gateway' ? '   the only public API entry: /api/accounts|loans|cards' : ''}`,
  );
  console.log(`
Trustline is running (embedded: SQLite in ./data, no broker). Ctrl-C stops it.

${rows.join('\n')}

Demo identities (never seeded with NODE_ENV=production):
  users     alice / alice-demo-password (customer), bob / bob-demo-password (customer), admin / admin-demo-password (admin)
  M2M       demo-cli / demo-cli-secret  (accounts:read loans:read cards:read)

Try:
  curl -s -u demo-cli:demo-cli-secret -d grant_type=client_credentials \\
       -d resource=urn:trustline:accounts -d scope=accounts:read ${issuer}/token
`);
}
