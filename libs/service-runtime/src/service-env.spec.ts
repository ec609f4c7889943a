import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseServiceEnv, loadServiceEnv, refuseDemoSecretInProduction, ServiceConfigurationError } from './service-env';

describe('loadServiceEnv', () => {
  const schema = baseServiceEnv.extend({ PORT: z.coerce.number().int().min(0).max(65535).default(8081) });

  it('applies the documented defaults', () => {
    expect(loadServiceEnv('accounts', schema, {})).toMatchObject({ PORT: 8081, ISSUER_URL: 'http://localhost:9000', DATA_DIR: './data' });
  });

  it('keeps serving on the last revocation state for 300 s by default (REVOCATION_MAX_STALENESS_SECONDS), and refuses nonsense', () => {
    expect(loadServiceEnv('accounts', schema, {})).toMatchObject({ REVOCATION_MAX_STALENESS_SECONDS: 300 });
    expect(loadServiceEnv('accounts', schema, { REVOCATION_MAX_STALENESS_SECONDS: '5' })).toMatchObject({ REVOCATION_MAX_STALENESS_SECONDS: 5 });
    for (const bad of ['0', '-1', '1.5', 'forever'])
      expect(() => loadServiceEnv('accounts', schema, { REVOCATION_MAX_STALENESS_SECONDS: bad })).toThrow(/REVOCATION_MAX_STALENESS_SECONDS/);
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
