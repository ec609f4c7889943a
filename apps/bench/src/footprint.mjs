// Measure 6: cold start of all five built apps to all-ready, and their idle memory (RSS), on embedded
// defaults (SQLite, no broker), wired as `npm start` wires them but on free ports.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

export async function footprint(workspace) {
  const dataDir = mkdtempSync(join(tmpdir(), 'trustline-bench-'));
  const [auth, gateway, accounts, loans, cards, rpc] = await Promise.all(Array.from({ length: 6 }, freePort));
  const issuer = `http://127.0.0.1:${auth}`;
  const common = { PATH: process.env.PATH, HOST: '127.0.0.1', DATA_DIR: dataDir, ISSUER_URL: issuer, LOG_LEVEL: 'warn', METRICS_PORT: '0' };
  const apps = [
    { name: 'auth-server', env: { ...common, PORT: String(auth), PUBLIC_GATEWAY_URL: `http://127.0.0.1:${gateway}` } },
    { name: 'loans', env: { ...common, PORT: String(loans), CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret' } },
    { name: 'cards', env: { ...common, PORT: String(cards), RPC_PORT: String(rpc), CLIENT_ID: 'cards-service', CLIENT_SECRET: 'cards-service-secret' } },
    {
      name: 'accounts',
      env: {
        ...common,
        PORT: String(accounts),
        LOANS_URL: `http://127.0.0.1:${loans}`,
        CARDS_RPC_URL: `tcp://127.0.0.1:${rpc}`,
        CLIENT_ID: 'accounts-service',
        CLIENT_SECRET: 'accounts-service-secret',
      },
    },
    {
      name: 'gateway',
      env: {
        ...common,
        PORT: String(gateway),
        ACCOUNTS_URL: `http://127.0.0.1:${accounts}`,
        LOANS_URL: `http://127.0.0.1:${loans}`,
        CARDS_URL: `http://127.0.0.1:${cards}`,
        CLIENT_ID: 'gateway',
        CLIENT_SECRET: 'gateway-secret',
      },
    },
  ];
  const children = [];
  const started = performance.now();
  try {
    // The auth server first (the others fetch its keys at start), then the rest together.
    const launch = (app) =>
      new Promise((ready, fail) => {
        const child = spawn(process.execPath, [join(workspace, 'dist/apps', app.name, 'main.js')], { env: app.env, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
          if (output.includes(`"msg":"${app.name} ready"`)) ready(child);
        });
        child.stderr.on('data', (chunk) => (output += chunk));
        child.once('exit', (code) => fail(new Error(`${app.name} exited (${code}): ${output.slice(-500)}`)));
      });
    await launch(apps[0]);
    await Promise.all(apps.slice(1).map(launch));
    const readyMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // settle: idle, not start-up, memory
    const rss = Object.fromEntries(apps.map((app, index) => [app.name, rssOf(children[index].pid)]));
    return { readyMs, rss, totalRss: Object.values(rss).reduce((sum, value) => sum + value, 0) };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
