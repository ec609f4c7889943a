import { ServiceConfigurationError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { loadLoansEnv } from './loans.env';

describe('loadLoansEnv', () => {
  it('applies the documented defaults (CONVENTIONS.md)', () => {
    expect(loadLoansEnv({})).toMatchObject({ PORT: 8082, ISSUER_URL: 'http://localhost:9000', DATA_DIR: './data', REVOCATION_POLL_MS: 1000 });
  });

  it('refuses a bad port and half a set of M2M credentials, naming the variables', () => {
    expect(() => loadLoansEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadLoansEnv({ CLIENT_ID: 'loans-service' })).toThrow(ServiceConfigurationError);
    expect(() => loadLoansEnv({ CLIENT_ID: 'loans-service' })).toThrow(/CLIENT_SECRET/);
    expect(loadLoansEnv({ CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret' })).toMatchObject({ CLIENT_ID: 'loans-service' });
  });
});
