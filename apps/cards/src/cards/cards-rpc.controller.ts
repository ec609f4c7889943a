import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CurrentPrincipal, type Principal, rpcData, Scopes } from '@trustline/security';
import { CardsService } from './cards.service';
import { CardsByCustomerRequest } from './dto/cards-by-customer.request';
import { CardView } from './dto/card.view';

export const CARDS_BY_CUSTOMER = 'cards.by-customer';

/**
 * The TCP microservice (RPC_PORT). The same global guard checks the token carried in the envelope
 * `{ meta: { authorization }, data }`, and the same ownership rules apply as over HTTP.
 */
@Controller()
export class CardsRpcController {
  constructor(private readonly cards: CardsService) {}

  @Scopes('cards:read')
  @MessagePattern(CARDS_BY_CUSTOMER)
  async byCustomer(@Payload() message: unknown, @CurrentPrincipal() principal: Principal): Promise<CardView[]> {
    const { customerId } = CardsByCustomerRequest.parse(rpcData(message));
    return (await this.cards.list(principal, customerId)).map((card) => CardView.of(card));
  }
}
