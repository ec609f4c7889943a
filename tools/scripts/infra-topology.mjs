// The compose topology as local processes: each app's environment exactly as docker-compose.yml sets it
// (same variable names, same values), with the container host names rewritten to this machine's
// loopback servers. Used by `npm run start:infra` and by the e2e test that proves the topology works.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const APPS_IN_START_ORDER = [
  'auth-server',
  'loans',
  'cards',
  'accounts',
  // trustline-generator: start-order
  'gateway',
];

/** KEY=value lines of an env file (missing file: none). */
export function dotenv(path) {
  if (!existsSync(path)) return {};
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error}. */
function interpolate(text, values) {
  return text.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_match, name, kind, fallback) => {
    if (values[name]) return values[name];
    if (kind === '-') return fallback;
    throw new Error(`\${${name}} is required: ${fallback}`);
  });
}

/** docker-compose.yml as compose reads it: interpolated with `values`, YAML merge keys applied. */
export function readCompose(workspace, values) {
  return parse(interpolate(readFileSync(join(workspace, 'docker-compose.yml'), 'utf8'), values), { merge: true });
}

/**
 * @param {{ workspace: string, portOffset?: number, databasePrefix?: string, pgUrl?: string, natsUrl?: string, redisUrl?: string }} options
 * @returns {{ apps: { name: string, port: number, env: Record<string, string> }[], databases: string[] }}
 */
export function infraTopology(options) {
  const offset = options.portOffset ?? 0;
  const values = { ...dotenv(join(options.workspace, '.env.example')), ...dotenv(join(options.workspace, '.env')), ...process.env };
  const compose = readCompose(options.workspace, values);
  const pg = new URL(options.pgUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const nats = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const redis = options.redisUrl ?? 'redis://127.0.0.1:6379';

  // Every app's own port, shifted by the offset (so a test can run the topology beside `npm start`).
  const ports = Object.fromEntries(APPS_IN_START_ORDER.map((name) => [name, Number(compose.services[name].environment.PORT) + offset]));
  const rpcPort = Number(compose.services.cards.environment.RPC_PORT) + offset;
  const databases = [];

  const loopback = (name, value) => {
    let out = value;
    for (const app of APPS_IN_START_ORDER) {
      const composePort = compose.services[app].environment.PORT;
      out = out.replaceAll(`http://${app}:${composePort}`, `http://127.0.0.1:${ports[app]}`);
    }
    out = out.replaceAll(`tcp://cards:${compose.services.cards.environment.RPC_PORT}`, `tcp://127.0.0.1:${rpcPort}`);
    // Each app's NATS user stays in its URL (a local nats-server without authorization ignores it).
    out = out.replace(/^nats:\/\/([^@/]*@)?nats:4222$/, (_match, credentials = '') => `nats://${credentials}${new URL(nats).host}`).replaceAll('redis://redis:6379', redis);
    if (name === 'DATABASE_URL') {
      const database = `${options.databasePrefix ?? ''}${new URL(value).pathname.slice(1)}`;
      databases.push(database);
      const url = new URL(pg);
      url.pathname = `/${database}`;
      out = url.toString();
    }
    // Browsers reach the published ports on this machine: shifted like the rest, on the IPv4 loopback
    // the apps listen on (`localhost` may resolve to ::1 first).
    if (name === 'ISSUER_URL' || name === 'PUBLIC_GATEWAY_URL') {
      out = out
        .replace('//localhost:', '//127.0.0.1:')
        .replace(/:9000\b/, `:${ports['auth-server']}`)
        .replace(/:8080\b/, `:${ports.gateway}`);
    }
    return out;
  };

  const apps = APPS_IN_START_ORDER.map((name) => {
    const env = Object.fromEntries(Object.entries(compose.services[name].environment).map(([key, value]) => [key, loopback(key, String(value))]));
    env.PORT = String(ports[name]);
    if (env.METRICS_PORT) env.METRICS_PORT = String(Number(env.METRICS_PORT) + offset);
    if (env.RPC_PORT) env.RPC_PORT = String(rpcPort);
    return { name, port: ports[name], env };
  });
  return { apps, databases };
}
