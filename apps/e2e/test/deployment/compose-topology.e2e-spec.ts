import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAccountsEnv } from '../../../accounts/src/accounts.env';
import { loadAuthServerConfig } from '../../../auth-server/src/config/auth-server.config';
import { loadCardsEnv } from '../../../cards/src/cards.env';
import { loadGatewayEnv } from '../../../gateway/src/gateway.env';
import { loadLoansEnv } from '../../../loans/src/loans.env';
import { dotenv, readCompose } from '../../../../tools/scripts/infra-topology.mjs';
import { WORKSPACE } from '../../../../tools/testing/processes';

/**
 * There is no Docker engine on the CI machine, so the compose file is checked for what it promises:
 * who is published, who sits on the internal network, health-gated start-up, every app's environment
 * accepted by that app's own validation, secrets from .env, images that run the built output.
 */
interface ComposeService {
  image?: string;
  build?: { args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
}

const composeText = readFileSync(join(WORKSPACE, 'docker-compose.yml'), 'utf8');
// Interpolated from .env.example alone: the file must work with exactly what .env.example provides.
const compose = readCompose(WORKSPACE, dotenv(join(WORKSPACE, '.env.example'))) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
};
const services = compose.services;
/** Every app built from the Dockerfile (generated services included); the ones behind the gateway. */
const APPS = Object.keys(services).filter((name) => services[name].build);
const SERVICES = APPS.filter((name) => name !== 'gateway' && name !== 'auth-server');

describe('docker-compose.yml', () => {
  it('publishes only the gateway and the auth server', () => {
    const published = Object.entries(services)
      .filter(([, service]) => service.ports?.length)
      .map(([name, service]) => [name, service.ports]);
    expect(Object.fromEntries(published)).toEqual({ gateway: ['8080:8080'], 'auth-server': ['9000:9000'] });
  });

  it('keeps the services, the database, the broker and Redis on an internal network only', () => {
    expect(compose.networks.backend?.internal).toBe(true);
    for (const name of [...SERVICES, 'postgres', 'nats', 'redis']) expect(services[name].networks, name).toEqual(['backend']);
    for (const name of ['gateway', 'auth-server']) expect(services[name].networks?.sort(), name).toEqual(['backend', 'public']);
  });

  it('starts everything only once what it needs is healthy', () => {
    for (const name of ['postgres', 'nats', 'redis']) expect(services[name].healthcheck?.test, name).toBeDefined();
    for (const name of APPS) {
      const dependencies = Object.entries(services[name].depends_on ?? {});
      expect(dependencies.length, name).toBeGreaterThan(0);
      for (const [dependency, { condition }] of dependencies) expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
    }
    expect(Object.keys(services.gateway.depends_on ?? {})).toEqual(expect.arrayContaining(['auth-server', ...SERVICES]));
    expect(Object.keys(services.accounts.depends_on ?? {})).toEqual(expect.arrayContaining(['loans', 'cards']));
  });

  it("gives every app an environment its own start-up validation accepts, on CONVENTIONS.md's ports", () => {
    const env = (name: string) => services[name].environment ?? {};
    // Callers reach both published ports directly: no proxy hop, X-Forwarded-For ignored.
    expect(loadAuthServerConfig(env('auth-server'))).toMatchObject({
      port: 9000,
      metricsPort: 9100,
      issuer: 'http://localhost:9000',
      database: { type: 'postgres' },
      trustProxyHops: 0,
    });
    expect(loadGatewayEnv(env('gateway'))).toMatchObject({ TRUST_PROXY_HOPS: 0 });
    expect(loadGatewayEnv(env('gateway'))).toMatchObject({
      PORT: 8080,
      METRICS_PORT: 9180,
      ACCOUNTS_URL: ['http://accounts:8081'],
      LOANS_URL: ['http://loans:8082'],
      CARDS_URL: ['http://cards:8083'],
    });
    expect(loadAccountsEnv(env('accounts'))).toMatchObject({ PORT: 8081, METRICS_PORT: 9181, LOANS_URL: 'http://loans:8082', CARDS_RPC_URL: 'tcp://cards:8093' });
    expect(loadLoansEnv(env('loans'))).toMatchObject({ PORT: 8082, METRICS_PORT: 9182 });
    expect(loadCardsEnv(env('cards'))).toMatchObject({ PORT: 8083, RPC_PORT: 8093, METRICS_PORT: 9183 });
    // Verifiers require the public issuer but fetch keys from the auth server on the internal network.
    for (const name of ['gateway', ...SERVICES]) expect(env(name)).toMatchObject({ ISSUER_URL: 'http://localhost:9000', AUTH_INTERNAL_URL: 'http://auth-server:9000' });
    // One database per service, on the compose PostgreSQL, each created by the init script.
    const init = readFileSync(join(WORKSPACE, 'deploy/postgres/init-databases.sql'), 'utf8');
    for (const name of APPS.filter((app) => app !== 'gateway')) {
      if (!env(name).DATABASE_URL) continue;
      const database = new URL(env(name).DATABASE_URL).pathname.slice(1);
      expect(init, name).toContain(`CREATE DATABASE ${database};`);
    }
  });

  it('takes every secret from .env, none written in the file', () => {
    for (const line of composeText.split('\n').filter((candidate) => /(SECRET|PASSWORD)\w*:/.test(candidate))) {
      expect(line, line.trim()).toMatch(/\$\{[A-Z_]+:\?[^}]+\}/);
    }
    expect(composeText).not.toMatch(/-secret\b|demo-password/);
  });

  it('builds each app from the multi-stage Dockerfile and runs its built output as a non-root user', () => {
    const dockerfile = readFileSync(join(WORKSPACE, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/CMD \["sh", "-c", "exec node dist\/apps\/\$APP\/main.js"\]/);
    for (const name of APPS) {
      const app = services[name].build?.args?.APP;
      expect(app, name).toBe(name);
      expect(existsSync(join(WORKSPACE, 'dist/apps', String(app), 'main.js')), `dist/apps/${app}/main.js`).toBe(true);
    }
  });
});
