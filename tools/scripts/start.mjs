#!/usr/bin/env node
// `npm start`: builds the workspace, then runs every app on embedded defaults (SQLite under ./data, no
// broker) and prints one banner with the URLs and the demo credentials once all are ready.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// The whole system on CONVENTIONS.md's ports: every app always starts (built first, on a fresh clone too).
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
].map((app) => ({ ...app, main: `dist/apps/${app.name}/main.js` }));

// Build first, then start everything: nothing is skipped because it was not built yet.
const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const missing = apps.filter((app) => !existsSync(app.main));
if (missing.length) {
  console.error(`the build left no ${missing.map((app) => app.main).join(', ')}; not starting`);
  process.exit(1);
}

const children = [];
let ready = 0;
let stopping = false;
let failed = false;

/** Stops every app and exits 0 only when each one exited 0 after its graceful shutdown. */
function stop(reason) {
  if (stopping) return;
  stopping = true;
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const kill = setTimeout(() => {
    for (const { name, child } of children) {
      if (child.exitCode === null && child.signalCode === null) {
        console.error(`${name} did not stop within 15 s; killing it`);
        child.kill('SIGKILL');
      }
    }
  }, 15_000);
  kill.unref();
  Promise.all(children.map(({ exited }) => exited)).then((results) => {
    clearTimeout(kill);
    const unclean = results.filter(({ code }) => code !== 0);
    for (const { name, code, signal } of unclean) console.error(`${name} exited with ${code ?? signal}`);
    process.exit(reason === 'failure' || failed || unclean.length ? 1 : 0);
  });
}

for (const app of apps) {
  const child = spawn(process.execPath, [app.main], {
    env: { ...app.env, ...process.env, PORT: process.env[`${app.name.toUpperCase().replace('-', '_')}_PORT`] ?? String(app.port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ name: app.name, code, signal })));
  children.push({ name: app.name, child, exited });
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
  void exited.then(({ code, signal }) => {
    if (!stopping) {
      failed = true;
      console.error(`${app.name} exited (${code ?? signal}); stopping the rest`);
      stop('failure');
    }
  });
}

process.on('SIGINT', () => stop('signal'));
process.on('SIGTERM', () => stop('signal'));

function banner() {
  const gateway = apps.find((app) => app.name === 'gateway');
  const notes = {
    'auth-server': `   discovery: ${issuer}/.well-known/openid-configuration`,
    gateway: '   the only public API entry: /api/accounts|loans|cards',
  };
  const rows = [
    `  ${'portal'.padEnd(12)}  ${gateway.url}/   the demo bank, served by the gateway: sign in as alice or bob`,
    ...apps.map((app) => `  ${app.name.padEnd(12)}  ${app.url}${notes[app.name] ?? ''}`),
  ];
  console.log(`
Trustline is running (embedded: SQLite in ./data, no broker). Ctrl-C stops it.

${rows.join('\n')}

Demo identities (never seeded with NODE_ENV=production):
  users     alice / alice-demo-password (customer), bob / bob-demo-password (customer), admin / admin-demo-password (admin)
  M2M       demo-cli / demo-cli-secret  (accounts:read loans:read cards:read)

Try: open ${gateway.url}/ in a browser, the curl calls of README "Demo 1", or \`npm run demo\` in another terminal.
`);
}
