#!/usr/bin/env node
// `npm run test:readme`: the README's first steps, as a newcomer runs them on a clean clone (CI calls it
// right after `npm ci`, before anything is built). It runs `npm start` as a child, waits for the one
// ready banner naming all five apps, runs README "Demo 1"'s bash block as written and checks each call
// against the status its `# 200` / `# 401` comment names (the block is read from README.md, so the README
// and this check cannot drift), runs `npm run demo`, then stops the system with SIGINT as Ctrl-C does
// and requires a clean stop: exit code 0, no process left behind, every port free again.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const START_TIMEOUT_MS = Number(process.env.README_CHECK_START_TIMEOUT_MS ?? 15 * 60_000); // includes the first build
const STEP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const APPS = ['auth-server', 'accounts', 'loans', 'cards', 'gateway'];
// Every port `npm start` listens on (CONVENTIONS.md): the apps, cards' TCP RPC, the metrics ports.
const PORTS = [9000, 8080, 8081, 8082, 8083, 8093, 9100, 9180, 9181, 9182, 9183];

class CheckFailure extends Error {}
const fail = (message) => {
  throw new CheckFailure(message);
};
const log = (message) => console.log(`[readme-check] ${message}`);

/** README "Demo 1"'s first bash block, as logical commands with the comment that ends each one. */
export function demoOneCommands(readme) {
  const section = readme.split(/^### /m).find((part) => part.startsWith('Demo 1'));
  if (!section) fail('README.md has no "### Demo 1" section');
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) fail('README "Demo 1" has no bash block');
  const commands = [];
  let pending = '';
  let comment;
  for (const line of block.split('\n')) {
    const { code, comment: lineComment } = splitComment(line);
    if (!code.trim() && !pending) continue; // a blank line, or a comment on a line of its own
    if (lineComment !== undefined) comment = lineComment;
    const continued = /\\\s*$/.test(code);
    pending += `${code.replace(/\\\s*$/, '').trim()} `;
    if (continued) continue;
    if (pending.trim()) commands.push({ command: pending.trim(), comment: comment?.trim() ?? '' });
    pending = '';
    comment = undefined;
  }
  return commands;
}

/** A shell line's code and its trailing `# comment` (a `#` outside quotes, after whitespace). */
function splitComment(line) {
  let quote;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(line[index - 1]))) return { code: line.slice(0, index), comment: line.slice(index + 1) };
  }
  return { code: line, comment: undefined };
}

function bash(script, env) {
  return new Promise((resolve) => {
    execFile('bash', ['-c', `set -euo pipefail\n${script}`], { env, cwd: root, timeout: STEP_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs the block: assignments set variables for the later commands; each call is checked. */
async function runDemoOne(commands) {
  const env = { ...process.env };
  const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=/;
  let calls = 0;
  for (const { command, comment } of commands) {
    const name = assignment.exec(command)?.[1];
    if (name) {
      const result = await bash(`${command}\nprintf %s "$${name}"`, env);
      if (result.code !== 0 || !result.stdout || result.stdout === 'undefined')
        fail(`README Demo 1: "${command}" gave no ${name} (exit ${result.code}): ${result.stdout}${result.stderr}`);
      env[name] = result.stdout;
      log(`${name} set by: ${command.slice(0, 100)}…`);
      continue;
    }
    if (!/^curl\s/.test(command)) fail(`README Demo 1: cannot check "${command}" (not a curl call)`);
    // The call exactly as written, with the HTTP status appended to what curl prints.
    const result = await bash(`curl() { command curl -w '\\n%{http_code}' "$@"; }\n${command}`, env);
    if (result.code !== 0) fail(`README Demo 1: "${command}" failed (exit ${result.code}): ${result.stderr}`);
    const lines = result.stdout.split('\n');
    const status = Number(lines.pop());
    const body = lines.join('\n');
    const named = /^\s*(\d{3})\b/.exec(comment)?.[1];
    const expected = named ? Number(named) : 200;
    if (status !== expected) fail(`README Demo 1: "${command}" answered ${status}, the README says ${expected} ("# ${comment}"): ${body}`);
    const details = /\/customers\/([^/\s]+)\/details\b/.exec(command);
    if (details) checkDetails(body, details[1], command);
    calls += 1;
    log(`${status} as the README says: ${command.replace(/\s+/g, ' ').slice(0, 110)}`);
  }
  if (calls === 0) fail('README Demo 1 has no call to check');
}

/** The customer-details view: JSON with the customer's id and its accounts, loans and cards. */
function checkDetails(body, customerId, command) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    fail(`README Demo 1: "${command}" did not answer JSON: ${body}`);
  }
  for (const key of ['accounts', 'loans', 'cards']) if (!Array.isArray(parsed[key])) fail(`README Demo 1: the customer details have no "${key}" list: ${body}`);
  if (parsed.customerId !== customerId) fail(`README Demo 1: the customer details name ${parsed.customerId}, not ${customerId}: ${body}`);
}

/** The banner must name all five apps with their URL, the portal and the gateway. */
function checkBanner(output) {
  const banner = output.slice(output.indexOf('Trustline is running'));
  for (const app of APPS) if (!new RegExp(`^\\s+${app}\\s+http://\\S+`, 'm').test(banner)) fail(`the ready banner does not list ${app}:\n${output}`);
  if (!/^\s+portal\s+http:\/\/localhost:8080\/\s/m.test(`${banner}\n`)) fail(`the ready banner does not name the portal URL:\n${output}`);
  if ((output.match(/Trustline is running/g) ?? []).length !== 1) fail(`npm start printed more than one banner:\n${output}`);
}

const portOpen = (port) =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Every process below `pid` (from /proc), so none can be left running unseen. */
function descendants(pid) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  const visit = (parent) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

const argv = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function main() {
  const busy = [];
  for (const port of PORTS) if (await portOpen(port)) busy.push(port);
  if (busy.length) fail(`ports already in use before npm start: ${busy.join(', ')} (stop what holds them)`);

  const commands = demoOneCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  log(`README Demo 1: ${commands.length} commands`);

  log('npm start');
  // Its own process group: whatever it starts can be found (and is killed if this check fails).
  const start = spawn('npm', ['start'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let output = '';
  const exited = new Promise((resolve) => start.once('exit', (code, signal) => resolve({ code, signal })));
  let running = true;
  void exited.then(() => (running = false));
  start.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  start.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  const killAll = () => {
    try {
      process.kill(-start.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  try {
    const started = Date.now();
    while (!/Trustline is running[\s\S]*\nTry: .*\n/.test(output)) {
      if (!running) fail(`npm start exited before its ready banner:\n${output}`);
      if (Date.now() - started > START_TIMEOUT_MS) fail(`no ready banner within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log(`ready banner after ${Math.round((Date.now() - started) / 1000)} s`);
    checkBanner(output);
    log(`the banner lists auth-server, accounts, loans, cards, gateway and the portal:\n${output.slice(output.indexOf('Trustline is running')).trimEnd()}`);

    await runDemoOne(commands);

    log('npm run demo');
    const demo = await new Promise((resolve) => {
      const child = spawn('npm', ['run', 'demo'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 5 * STEP_TIMEOUT_MS);
      child.once('exit', (code) => (clearTimeout(timer), resolve({ code, text })));
    });
    if (demo.code !== 0) fail(`npm run demo exited ${demo.code}:\n${demo.text}`);
    log('npm run demo passed');

    const processes = [start.pid, ...descendants(start.pid)];
    // Ctrl-C's SIGINT to start.mjs and each app, as a terminal delivers it. npm and the shell it runs
    // the script in are left out: both re-raise a SIGINT they received (their exit would then be
    // "SIGINT" whatever the script did); without one, npm exits with its script's code, and start.mjs
    // exits 0 only when every app exited 0.
    const launcher = processes.find((pid) => /(^|\/)node$/.test(argv(pid)[0] ?? '') && argv(pid)[1]?.endsWith('tools/scripts/start.mjs'));
    if (!launcher) fail(`no tools/scripts/start.mjs process below npm start (${processes.join(', ')})`);
    const targets = [launcher, ...descendants(launcher)];
    log(`stopping with SIGINT (start.mjs and ${targets.length - 1} apps)`);
    const outputBeforeStop = output.length;
    for (const pid of targets) process.kill(pid, 'SIGINT');
    const result = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(undefined), STOP_TIMEOUT_MS))]);
    if (!result) fail(`npm start did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGINT:\n${output.slice(outputBeforeStop)}`);
    if (result.code !== 0) fail(`npm start exited with ${result.code ?? result.signal} after SIGINT, not 0:\n${output.slice(outputBeforeStop)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const left = processes.filter(alive);
    if (left.length) fail(`processes left running after npm start stopped: ${left.join(', ')}`);
    if (alive(-start.pid)) fail(`a process of npm start's process group ${start.pid} is still running`);
    const open = [];
    for (const port of PORTS) if (await portOpen(port)) open.push(port);
    if (open.length) fail(`ports still open after npm start stopped: ${open.join(', ')}`);
    log('stopped cleanly: exit 0, every app exited 0, no process left, every port free');
  } finally {
    if (running) killAll();
  }
}

if (process.argv[2] === '--list') {
  // Prints the commands and the status each must answer, as parsed from README.md (no system needed).
  for (const { command, comment } of demoOneCommands(readFileSync(join(root, 'README.md'), 'utf8'))) console.log(`${/^\s*(\d{3})\b/.exec(comment)?.[1] ?? '-'}  ${command}`);
  process.exit(0);
}

main().then(
  () => log('the README holds'),
  (error) => {
    console.error(`[readme-check] FAILED: ${error instanceof CheckFailure ? error.message : (error?.stack ?? error)}`);
    process.exit(1);
  },
);
