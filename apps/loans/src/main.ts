import { createService, refuseDemoSecretInProduction, runService, startService } from '@trustline/service-runtime';
import { LoansAppModule } from './app.module';
import { loadLoansEnv } from './loans.env';

runService('loans', async () => {
  const env = loadLoansEnv();
  refuseDemoSecretInProduction(env, 'loans');
  const app = await createService({
    name: 'loans',
    module: LoansAppModule.forRoot(env),
    logLevel: env.LOG_LEVEL,
    openApi: { title: 'Trustline loans', description: 'Loans of bank customers, in minor units. Every route but /health/* needs an access token for urn:trustline:loans.' },
  });
  await startService(app, 'loans', env.PORT, env.HOST, env.METRICS_PORT);
});
