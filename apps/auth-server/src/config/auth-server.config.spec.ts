import { describe, expect, it } from 'vitest';
import { ConfigurationError, DEMO_KEY_ENCRYPTION_SECRET, loadAuthServerConfig } from './auth-server.config';

describe('loadAuthServerConfig', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadAuthServerConfig({});
    expect(config).toMatchObject({
      port: 9000,
      issuer: 'http://localhost:9000',
      database: { type: 'sqlite', file: './data/auth-server.sqlite' },
      accessTokenTtl: 300,
      refreshTokenTtl: 1_209_600,
      demoSeed: true,
      production: false,
    });
  });

  it('purges expired rows every PURGE_INTERVAL_SECONDS (600 by default)', () => {
    expect(loadAuthServerConfig({}).purgeIntervalSeconds).toBe(600);
    expect(loadAuthServerConfig({ PURGE_INTERVAL_SECONDS: '1' }).purgeIntervalSeconds).toBe(1);
    expect(() => loadAuthServerConfig({ PURGE_INTERVAL_SECONDS: '0' })).toThrow(/PURGE_INTERVAL_SECONDS/);
  });

  it('takes PostgreSQL from DATABASE_URL and lifetimes from the environment', () => {
    const config = loadAuthServerConfig({ DATABASE_URL: 'postgres://u@db:5432/auth', ACCESS_TOKEN_TTL: '120', REFRESH_TOKEN_TTL: '3600', ISSUER_URL: 'http://auth:9000/' });
    expect(config.database).toEqual({ type: 'postgres', url: 'postgres://u@db:5432/auth' });
    expect(config.accessTokenTtl).toBe(120);
    expect(config.refreshTokenTtl).toBe(3600);
    expect(config.issuer).toBe('http://auth:9000');
  });

  it('never lets its own verifier allow more clock skew than revocation horizons cover', () => {
    expect(loadAuthServerConfig({}).clockToleranceSeconds).toBe(30);
    expect(loadAuthServerConfig({ CLOCK_TOLERANCE_SECONDS: '60' }).clockToleranceSeconds).toBe(60);
    expect(() => loadAuthServerConfig({ CLOCK_TOLERANCE_SECONDS: '61' })).toThrow(/CLOCK_TOLERANCE_SECONDS/);
  });

  it('reports every bad value by variable name', () => {
    try {
      loadAuthServerConfig({ PORT: 'eighty', ACCESS_TOKEN_TTL: '-5', DATABASE_URL: 'mysql://x', ISSUER_URL: 'not a url' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      for (const name of ['PORT', 'ACCESS_TOKEN_TTL', 'DATABASE_URL', 'ISSUER_URL']) expect(message).toContain(name);
    }
  });

  it('refuses to start in production on demo secrets, demo seeding or a plain-HTTP issuer', () => {
    expect(() => loadAuthServerConfig({ NODE_ENV: 'production', ISSUER_URL: 'https://auth.example' })).toThrow(/KEY_ENCRYPTION_SECRET/);
    expect(() => loadAuthServerConfig({ NODE_ENV: 'production', ISSUER_URL: 'https://auth.example', KEY_ENCRYPTION_SECRET: DEMO_KEY_ENCRYPTION_SECRET })).toThrow(
      /KEY_ENCRYPTION_SECRET/,
    );
    expect(() => loadAuthServerConfig({ NODE_ENV: 'production', ISSUER_URL: 'http://auth.example', KEY_ENCRYPTION_SECRET: 'x'.repeat(40) })).toThrow(/ISSUER_URL/);
    expect(() => loadAuthServerConfig({ NODE_ENV: 'production', ISSUER_URL: 'https://auth.example', KEY_ENCRYPTION_SECRET: 'x'.repeat(40), DEMO_SEED: 'true' })).toThrow(
      /DEMO_SEED/,
    );
    const config = loadAuthServerConfig({ NODE_ENV: 'production', ISSUER_URL: 'https://auth.example', KEY_ENCRYPTION_SECRET: 'x'.repeat(40) });
    expect(config.demoSeed).toBe(false);
  });

  it('takes TRUST_PROXY_HOPS as a number of trusted proxies (0 by default) and refuses the old all-or-nothing TRUST_PROXY', () => {
    expect(loadAuthServerConfig({}).trustProxyHops).toBe(0);
    expect(loadAuthServerConfig({ TRUST_PROXY_HOPS: '1' }).trustProxyHops).toBe(1);
    expect(loadAuthServerConfig({ TRUST_PROXY_HOPS: '2' }).trustProxyHops).toBe(2);
    for (const bad of ['-1', '1.5', 'true', '11']) expect(() => loadAuthServerConfig({ TRUST_PROXY_HOPS: bad })).toThrow(/TRUST_PROXY_HOPS/);
    for (const old of ['true', 'false']) expect(() => loadAuthServerConfig({ TRUST_PROXY: old })).toThrow(/TRUST_PROXY: was replaced by TRUST_PROXY_HOPS/);
  });

  it('reads the abuse limits, with the per-account slowdown and the per-address authorization limit', () => {
    expect(loadAuthServerConfig({}).attempts).toEqual({
      loginPerAccountAndIp: 5,
      loginPerAccount: 20,
      loginPerIp: 50,
      loginWindowSeconds: 900,
      loginAccountSlowdownSeconds: 5,
      clientAuthPerClientAndIp: 10,
      clientAuthPerIp: 100,
      clientAuthWindowSeconds: 300,
      authorizationPerIp: 300,
      authorizationWindowSeconds: 60,
    });
    expect(loadAuthServerConfig({ CLIENT_AUTH_MAX_FAILURES_PER_CLIENT_AND_IP: '3', AUTHORIZATION_MAX_PER_IP: '7' }).attempts).toMatchObject({
      clientAuthPerClientAndIp: 3,
      authorizationPerIp: 7,
    });
  });
});
