import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseServiceEnv, loadServiceEnv, refuseDemoSecretInProduction, ServiceConfigurationError } from './service-env';

describe('loadServiceEnv', () => {
  const schema = baseServiceEnv.extend({ PORT: z.coerce.number().int().min(0).max(65535).default(8081) });

  it('applies the documented defaults', () => {
    expect(loadServiceEnv('accounts', schema, {})).toMatchObject({ PORT: 8081, ISSUER_URL: 'http://localhost:9000', DATA_DIR: './data' });
  });

  it('names every bad variable', () => {
    expect(() => loadServiceEnv('accounts', schema, { PORT: 'x', DATABASE_URL: 'mysql://db' })).toThrow(/PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/);
  });

  it('takes a clock tolerance no larger than the revocation horizons cover', () => {
    expect(loadServiceEnv('accounts', schema, { CLOCK_TOLERANCE_SECONDS: '5' }).CLOCK_TOLERANCE_SECONDS).toBe(5);
    expect(() => loadServiceEnv('accounts', schema, { CLOCK_TOLERANCE_SECONDS: '61' })).toThrow(/CLOCK_TOLERANCE_SECONDS/);
  });

  it('refuses a demo secret in production', () => {
    expect(() => refuseDemoSecretInProduction({ NODE_ENV: 'production', CLIENT_SECRET: 'accounts-service-secret' }, 'accounts')).toThrow(ServiceConfigurationError);
    expect(() => refuseDemoSecretInProduction({ NODE_ENV: 'development', CLIENT_SECRET: 'accounts-service-secret' }, 'accounts')).not.toThrow();
  });
});
