// Measure 6: cold start of all five built apps to all-ready, and their idle memory (RSS), on embedded
// defaults (SQLite, no broker), started as `npm start` starts them (the auth server first, then the rest).
import { setTimeout as sleep } from 'node:timers/promises';
import { rssOf, startSystem } from './system.mjs';

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export async function measure({ log }) {
  const started = performance.now();
  const system = await startSystem();
  try {
    const readyMs = performance.now() - started;
    await sleep(2_000); // settle: idle, not start-up, memory
    const apps = [system.auth, system.gateway, system.accounts, system.loans, system.cards];
    const rss = Object.fromEntries(apps.map((app) => [app.name, rssOf(app.pid)]));
    const totalRss = Object.values(rss).reduce((sum, value) => sum + value, 0);
    log(`five apps: ready in ${Math.round(readyMs)} ms, idle RSS ${mib(totalRss)}`);
    return {
      targets: [
        { target: 'cold start of the five apps to all-ready < 5 s', figure: `${Math.round(readyMs)} ms`, met: readyMs < 5_000 },
        { target: 'idle RSS of the five apps < 450 MB', figure: `${(totalRss / 1e6).toFixed(0)} MB`, met: totalRss < 450 * 1e6 },
      ],
      section: `## 6. Footprint

All five built apps on embedded defaults (SQLite, no broker), started as \`npm start\` starts them (the auth
server first, then the rest together), every one on core 0. Peak RSS under load is in section 3.

| measure | figure | target |
| --- | ---: | --- |
| cold start to all ready | ${Math.round(readyMs)} ms | < 5,000 ms |
| idle RSS, all five | ${mib(totalRss)} (${(totalRss / 1e6).toFixed(0)} MB) | < 450 MB |
${Object.entries(rss)
  .map(([name, bytes]) => `| idle RSS, ${name} | ${mib(bytes)} | |`)
  .join('\n')}
`,
    };
  } finally {
    await system.stop();
  }
}
