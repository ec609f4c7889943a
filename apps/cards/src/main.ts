import { Transport } from '@nestjs/microservices';
import { createService, refuseDemoSecretInProduction, runService, startService } from '@trustline/service-runtime';
import { CardsAppModule } from './app.module';
import { loadCardsEnv } from './cards.env';

runService('cards', async () => {
  const env = loadCardsEnv();
  refuseDemoSecretInProduction(env, 'cards');
  const app = await createService({
    name: 'cards',
    module: CardsAppModule.forRoot(env),
    logLevel: env.LOG_LEVEL,
    openApi: { title: 'Trustline cards', description: 'Payment cards of bank customers, in minor units (masked numbers only). Every route but /health/* needs an access token for urn:trustline:cards; the TCP microservice answers `cards.by-customer`.' },
    microservice: { transport: Transport.TCP, options: { host: env.HOST, port: env.RPC_PORT } },
  });
  await startService(app, 'cards', env.PORT, env.HOST);
});
