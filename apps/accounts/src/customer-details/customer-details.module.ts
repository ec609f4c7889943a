import { type DynamicModule, Module } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { natsConnectionOptions } from '@trustline/security';
import { AccountsModule } from '../accounts/accounts.module';
import { CardsClient } from './cards.client';
import { CARDS_RPC_CLIENT, CUSTOMER_DETAILS_OPTIONS, type CustomerDetailsOptions } from './customer-details.options';
import { CustomerDetailsController } from './customer-details.controller';
import { CustomerDetailsService } from './customer-details.service';
import { LoansClient } from './loans.client';

/**
 * `GET /api/accounts/customers/:customerId/details`: the customer's accounts with their loans (HTTP) and
 * cards (RPC), gathered with this service's own M2M tokens (SecurityModule's ClientCredentialsTokenClient).
 */
@Module({})
export class CustomerDetailsModule {
  static forRoot(options: CustomerDetailsOptions): DynamicModule {
    return {
      module: CustomerDetailsModule,
      imports: [AccountsModule],
      controllers: [CustomerDetailsController],
      providers: [
        { provide: CUSTOMER_DETAILS_OPTIONS, useValue: options },
        {
          provide: CARDS_RPC_CLIENT,
          // Lazy: the proxy connects on the first call, so accounts starts (and serves everything else) while cards is down.
          useFactory: () =>
            options.cards.transport === 'nats'
              ? ClientProxyFactory.create({ transport: Transport.NATS, options: natsConnectionOptions(options.cards.url) })
              : ClientProxyFactory.create({ transport: Transport.TCP, options: { host: options.cards.host, port: options.cards.port } }),
        },
        LoansClient,
        CardsClient,
        CustomerDetailsService,
      ],
    };
  }
}
