import { ServiceConfigurationError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { allowedOrigins, loadGatewayEnv } from './gateway.env';

describe('loadGatewayEnv', () => {
  it('applies the documented defaults (CONVENTIONS.md)', () => {
    expect(loadGatewayEnv({})).toMatchObject({
      PORT: 8080,
      ISSUER_URL: 'http://localhost:9000',
      PUBLIC_GATEWAY_URL: 'http://localhost:8080',
      ACCOUNTS_URL: ['http://localhost:8081'],
      LOANS_URL: ['http://localhost:8082'],
      CARDS_URL: ['http://localhost:8083'],
      UPSTREAM_TIMEOUT_MS: 5000,
      BODY_LIMIT_BYTES: 65536,
      TRUST_PROXY_HOPS: 0,
    });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => loadGatewayEnv({ ACCOUNTS_URL: 'ftp://accounts' })).toThrow(/ACCOUNTS_URL/);
    expect(() => loadGatewayEnv({ ACCOUNTS_URL: 'http://a1:8081,ftp://a2' })).toThrow(/ACCOUNTS_URL/);
    expect(() => loadGatewayEnv({ ACCOUNTS_URL: '' })).toThrow(/ACCOUNTS_URL/);
    expect(() => loadGatewayEnv({ UPSTREAM_TIMEOUT_MS: '0' })).toThrow(/UPSTREAM_TIMEOUT_MS/);
    expect(() => loadGatewayEnv({ CORS_ORIGINS: 'https://ok.example, javascript:alert(1)' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadGatewayEnv({ CLIENT_ID: 'gateway' })).toThrow(ServiceConfigurationError);
  });

  it('takes a comma-separated list of replicas for a service, trailing slashes trimmed', () => {
    expect(loadGatewayEnv({ ACCOUNTS_URL: 'http://a1:8081/, http://a2:8081' }).ACCOUNTS_URL).toEqual(['http://a1:8081', 'http://a2:8081']);
  });

  it("allows the gateway's own public origin and the listed ones, as origins", () => {
    const env = loadGatewayEnv({ PUBLIC_GATEWAY_URL: 'https://bank.example/app/', CORS_ORIGINS: 'http://localhost:5173/, https://bank.example' });
    expect(allowedOrigins(env)).toEqual(['https://bank.example', 'http://localhost:5173']);
  });
});
