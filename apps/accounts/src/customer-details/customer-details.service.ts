import { Injectable } from '@nestjs/common';
import type { Principal } from '@trustline/security';
import { ForeignCustomerError, mayActFor } from '@trustline/service-runtime';
import { AccountsService } from '../accounts/accounts.service';
import { AccountView } from '../accounts/dto/account.view';
import { CardsClient } from './cards.client';
import type { CustomerDetailsView } from './dto/customer-details.view';
import { LoansClient } from './loans.client';
import type { TraceHeaders } from './trace-headers';

/**
 * One customer with everything the bank holds for them: accounts from this service's own database, loans
 * and cards from their services, asked in parallel with this service's own tokens. All or nothing: when
 * one source fails the answer is a 502/503, never a partial picture that looks complete.
 */
@Injectable()
export class CustomerDetailsService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly loans: LoansClient,
    private readonly cards: CardsClient,
  ) {}

  async details(principal: Principal, customerId: string, trace: TraceHeaders): Promise<CustomerDetailsView> {
    // Decided here, before any downstream call: this service's tokens may read anyone's loans and cards,
    // so the caller's right to this customer is the only thing standing between a user and other data.
    if (!mayActFor(principal, customerId)) throw new ForeignCustomerError();
    const [accounts, loans, cards] = await Promise.all([
      this.accounts.list(principal, customerId),
      this.loans.byCustomer(customerId, trace),
      this.cards.byCustomer(customerId, trace),
    ]);
    return { customerId, accounts: accounts.map((account) => AccountView.of(account)), loans, cards };
  }
}
