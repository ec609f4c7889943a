import { createService, refuseDemoSecretInProduction, runService, startService } from '@trustline/service-runtime';
import { AccountsAppModule } from './app.module';
import { loadAccountsEnv } from './accounts.env';

runService('accounts', async () => {
  const env = loadAccountsEnv();
  refuseDemoSecretInProduction(env, 'accounts');
  const app = await createService({
    name: 'accounts',
    module: AccountsAppModule.forRoot(env),
    logLevel: env.LOG_LEVEL,
    openApi: {
      title: 'Trustline accounts',
      description:
        "Bank accounts of customers, in minor units, and each customer's details (accounts, loans and cards, gathered with this service's own M2M tokens). Every route but /health/* needs an access token for urn:trustline:accounts.",
    },
  });
  await startService(app, 'accounts', env.PORT, env.HOST, env.METRICS_PORT);
});
