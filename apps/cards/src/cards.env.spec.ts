import { ServiceConfigurationError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { loadCardsEnv } from './cards.env';

describe('loadCardsEnv', () => {
  it('applies the documented defaults (CONVENTIONS.md)', () => {
    expect(loadCardsEnv({})).toMatchObject({ PORT: 8083, RPC_PORT: 8093, ISSUER_URL: 'http://localhost:9000', DATA_DIR: './data', REVOCATION_POLL_MS: 1000 });
  });

  it('refuses bad ports and half a set of M2M credentials, naming the variables', () => {
    expect(() => loadCardsEnv({ RPC_PORT: '70000' })).toThrow(/RPC_PORT/);
    expect(() => loadCardsEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadCardsEnv({ CLIENT_SECRET: 'cards-service-secret' })).toThrow(ServiceConfigurationError);
    expect(loadCardsEnv({ CLIENT_ID: 'cards-service', CLIENT_SECRET: 'cards-service-secret' })).toMatchObject({ CLIENT_ID: 'cards-service' });
  });
});
