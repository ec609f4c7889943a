import { infraTopology } from '../../../../tools/scripts/infra-topology.mjs';
import { type DeploymentNats, freePort, type RunningProcess, startApp, startAuthServer, startDeploymentNats, WORKSPACE } from '../../../../tools/testing/processes';

/**
 * Services added with `nx g @trustline/workspace:service <name>`: started like loans (their own
 * database, their own M2M client following the revocation feed), routed by the gateway, and run through
 * every table-driven suite (the zero-trust matrix, bad input) like the three bank services.
 */
export const GENERATED_SERVICES: readonly string[] = [
  // trustline-generator: e2e-services
];

export const AUDIENCES: Readonly<Record<string, string>> = Object.freeze({
  accounts: 'urn:trustline:accounts',
  loans: 'urn:trustline:loans',
  cards: 'urn:trustline:cards',
  ...Object.fromEntries(GENERATED_SERVICES.map((service) => [service, `urn:trustline:${service}`])),
});
export type ServiceName = string;
export const SERVICES: readonly ServiceName[] = Object.keys(AUDIENCES);

export interface RunningSystem {
  issuer: string;
  /** The portal's redirect URI, `${PUBLIC_GATEWAY_URL}/callback`: the gateway's port is chosen first so the auth server registers it. */
  portalRedirectUri: string;
  auth: RunningProcess;
  gateway: RunningProcess;
  services: Record<ServiceName, RunningProcess>;
  /** The broker as compose runs it: authentication, a user per app with its permissions. */
  nats?: DeploymentNats;
  /** Every process's output, for "never logged" assertions. */
  output(): string;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** Use NATS for accounts → cards and revocation announcements (a private nats-server with deploy/nats/nats-server.conf, each app its own user; needs it installed). Default: in the infra profile. */
  nats?: boolean;
  /** The verifiers' pull interval of the revocation feed (REVOCATION_POLL_MS; default 250 ms here). */
  revocationPollMs?: number;
  /** Extra environment per app. */
  env?: Partial<Record<string, Record<string, string>>>;
}

/**
 * The five apps as real processes from their built output, on ephemeral ports, wired as CONVENTIONS.md
 * says (each service with its own M2M credentials following the revocation feed). Stops whatever
 * started if a later one fails, so a failing start leaves no orphans.
 */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const compose = composeEnvironment();
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const running of started.reverse()) await running.stop().catch(() => undefined);
  };
  try {
    const wantNats = options.nats ?? process.env.TEST_PROFILE === 'infra';
    const nats = wantNats ? await startDeploymentNats() : undefined;
    if (wantNats && !nats) throw new Error('nats-server is not installed');
    if (nats) started.push(nats);
    const gatewayPort = await freePort();
    const publicGatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const auth = await startAuthServer({
      ...compose['auth-server'],
      PUBLIC_GATEWAY_URL: publicGatewayUrl,
      ...(nats ? { NATS_URL: nats.urlFor('auth-server') } : {}),
      ...options.env?.['auth-server'],
    });
    started.push(auth);
    const common = { ISSUER_URL: auth.issuer, REVOCATION_POLL_MS: String(options.revocationPollMs ?? 250) };
    const natsFor = (app: string) => (nats ? { NATS_URL: nats.urlFor(app) } : {});
    const rpcPort = await freePort();
    const [loans, cards] = await Promise.all([
      startApp({
        name: 'loans',
        env: { ...compose.loans, ...common, ...natsFor('loans'), CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret', ...options.env?.loans },
      }),
      startApp({
        name: 'cards',
        env: {
          ...compose.cards,
          ...common,
          ...natsFor('cards'),
          RPC_PORT: String(rpcPort),
          CLIENT_ID: 'cards-service',
          CLIENT_SECRET: 'cards-service-secret',
          ...options.env?.cards,
        },
      }),
    ]);
    started.push(loans, cards);
    const accounts = await startApp({
      name: 'accounts',
      env: {
        ...compose.accounts,
        ...common,
        ...natsFor('accounts'),
        LOANS_URL: loans.url,
        CARDS_RPC_URL: `tcp://127.0.0.1:${rpcPort}`,
        CLIENT_ID: 'accounts-service',
        CLIENT_SECRET: 'accounts-service-secret',
        ...options.env?.accounts,
      },
    });
    started.push(accounts);
    const generated = await Promise.all(
      GENERATED_SERVICES.map((name) =>
        startApp({ name, env: { ...compose[name], ...common, ...natsFor(name), CLIENT_ID: `${name}-service`, CLIENT_SECRET: `${name}-service-secret`, ...options.env?.[name] } }),
      ),
    );
    started.push(...generated);
    const gateway = await startApp({
      name: 'gateway',
      port: gatewayPort,
      database: false,
      env: {
        ...compose.gateway,
        ...common,
        ...natsFor('gateway'),
        PUBLIC_GATEWAY_URL: publicGatewayUrl,
        ACCOUNTS_URL: accounts.url,
        LOANS_URL: loans.url,
        CARDS_URL: cards.url,
        ...Object.fromEntries(GENERATED_SERVICES.map((name, index) => [`${name.toUpperCase().replace(/-/g, '_')}_URL`, generated[index].url])),
        CLIENT_ID: 'gateway',
        CLIENT_SECRET: 'gateway-secret',
        // Every request of a suite comes from one address and a few callers: the limits themselves are
        // proven in the gateway's own e2e; here they would only turn retries into 429s.
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_PER_CALLER: '1000000',
        ...options.env?.gateway,
      },
    });
    started.push(gateway);
    const services: Record<ServiceName, RunningProcess> = { accounts, loans, cards, ...Object.fromEntries(GENERATED_SERVICES.map((name, index) => [name, generated[index]])) };
    return {
      issuer: auth.issuer,
      portalRedirectUri: `${publicGatewayUrl}/callback`,
      auth,
      gateway,
      services,
      nats,
      output: () => [auth, gateway, ...Object.values(services)].map((running) => running.output()).join('\n'),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Registers a client-credentials client the way an operator would (the auth server's CLI); returns its generated secret. */
export function registerM2mClient(system: RunningSystem, clientId: string, audiences: string[], allowedScopes: string[]): string {
  const registered = system.auth.run('cli.js', [
    'clients:register',
    JSON.stringify({ clientId, tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: ['client_credentials'], audiences, allowedScopes }),
  ]);
  return String(registered.client_secret);
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One JSON call with a bearer token. */
export async function call(base: string, method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * In the infra profile every app starts from exactly the environment docker-compose.yml gives it (via
 * the same topology `npm run start:infra` uses: NODE_ENV, the demo seed, the key encryption secret,
 * credentials, log level …), and the harness then overrides only what isolates one test file from
 * another: ports, databases, the broker, URLs between the apps, the revocation poll interval. The
 * embedded profile keeps the apps' own defaults.
 */
function composeEnvironment(): Record<string, Record<string, string>> {
  if (process.env.TEST_PROFILE !== 'infra') return {};
  const isolated = new Set([
    'PORT',
    'METRICS_PORT',
    'RPC_PORT',
    'DATABASE_URL',
    'NATS_URL',
    'REDIS_URL',
    'ISSUER_URL',
    'AUTH_INTERNAL_URL',
    'PUBLIC_GATEWAY_URL',
    'ACCOUNTS_URL',
    'LOANS_URL',
    'CARDS_URL',
    'CARDS_RPC_URL',
    'REVOCATION_POLL_MS',
  ]);
  const { apps } = infraTopology({ workspace: WORKSPACE });
  return Object.fromEntries(apps.map(({ name, env }) => [name, Object.fromEntries(Object.entries(env).filter(([key]) => !isolated.has(key)))]));
}
