import { type NatsOptions, Transport } from '@nestjs/microservices';
import { natsConnectionOptions } from '@trustline/security';
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
    openApi: {
      title: 'Trustline cards',
      description:
        'Payment cards of bank customers, in minor units (masked numbers only). Every route but /health/* needs an access token for urn:trustline:cards; the TCP microservice (and NATS, when NATS_URL is set) answers `cards.by-customer`.',
    },
    // TCP always (no broker needed); NATS too when NATS_URL is set (the infra profile, compose). The same
    // guard checks the token on both: envelope on TCP, message headers on NATS.
    microservice: [
      { transport: Transport.TCP, options: { host: env.HOST, port: env.RPC_PORT } },
      ...(env.NATS_URL ? [{ transport: Transport.NATS, options: { ...natsConnectionOptions(env.NATS_URL), queue: 'cards' } } satisfies NatsOptions] : []),
    ],
  });
  await startService(app, 'cards', env.PORT, env.HOST, env.METRICS_PORT);
});
