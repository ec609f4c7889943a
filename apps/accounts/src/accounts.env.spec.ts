import { ServiceConfigurationError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { loadAccountsEnv, parseTcpUrl } from './accounts.env';

describe('loadAccountsEnv', () => {
  it('applies the documented defaults (CONVENTIONS.md)', () => {
    const env = loadAccountsEnv({});
    expect(env).toMatchObject({
      PORT: 8081,
      ISSUER_URL: 'http://localhost:9000',
      DATA_DIR: './data',
      REVOCATION_POLL_MS: 1000,
      LOANS_URL: 'http://localhost:8082',
      CARDS_RPC_URL: 'tcp://localhost:8093',
    });
    expect(env.NATS_URL).toBeUndefined();
    expect(env.CLIENT_ID).toBeUndefined();
  });

  it('accepts the downstream addresses, dropping a trailing slash from LOANS_URL', () => {
    expect(loadAccountsEnv({ LOANS_URL: 'http://loans:8082/', CARDS_RPC_URL: 'tcp://cards:18093', NATS_URL: 'nats://nats:4222' })).toMatchObject({
      LOANS_URL: 'http://loans:8082',
      CARDS_RPC_URL: 'tcp://cards:18093',
      NATS_URL: 'nats://nats:4222',
    });
  });

  it('refuses bad values, naming the variables', () => {
    expect(() => loadAccountsEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadAccountsEnv({ LOANS_URL: 'ftp://loans' })).toThrow(/LOANS_URL/);
    for (const bad of ['http://cards:8093', 'tcp://cards', 'tcp://cards:0', 'tcp://cards:8093/path', 'cards:8093', '']) {
      expect(() => loadAccountsEnv({ CARDS_RPC_URL: bad }), bad).toThrow(/CARDS_RPC_URL/);
    }
    expect(() => loadAccountsEnv({ NATS_URL: 'http://nats:4222' })).toThrow(/NATS_URL/);
  });

  it('refuses half a set of M2M credentials', () => {
    expect(() => loadAccountsEnv({ CLIENT_ID: 'accounts-service' })).toThrow(ServiceConfigurationError);
    expect(() => loadAccountsEnv({ CLIENT_ID: 'accounts-service' })).toThrow(/CLIENT_SECRET/);
    expect(() => loadAccountsEnv({ CLIENT_SECRET: 'accounts-service-secret' })).toThrow(/CLIENT_SECRET/);
    expect(loadAccountsEnv({ CLIENT_ID: 'accounts-service', CLIENT_SECRET: 'accounts-service-secret' })).toMatchObject({ CLIENT_ID: 'accounts-service' });
  });
});

describe('parseTcpUrl', () => {
  it('splits a tcp:// URL into host and port', () => {
    expect(parseTcpUrl('tcp://localhost:8093')).toEqual({ host: 'localhost', port: 8093 });
    expect(parseTcpUrl('tcp://127.0.0.1:1')).toEqual({ host: '127.0.0.1', port: 1 });
    expect(parseTcpUrl('tcp://[::1]:8093')).toEqual({ host: '::1', port: 8093 });
  });

  it('refuses anything else', () => {
    for (const bad of ['tcp://host', 'tcp://user:pw@host:1', 'tcp://host:1?x=1', 'nats://host:1', 'not a url']) expect(parseTcpUrl(bad), bad).toBeUndefined();
  });
});
