import type { Principal } from '@trustline/security';
import { ForeignCustomerError } from '@trustline/service-runtime';
import { describe, expect, it, vi } from 'vitest';
import type { Account } from '../accounts/account.entity';
import type { AccountsService } from '../accounts/accounts.service';
import type { CardsClient } from './cards.client';
import { CustomerDetailsService } from './customer-details.service';
import { DownstreamError } from './downstream';
import type { LoansClient } from './loans.client';

const principal = (kind: Principal['kind'], subject: string, roles: string[] = []): Principal => ({
  kind,
  subject,
  clientId: kind === 'client' ? subject : 'portal',
  audience: 'urn:trustline:accounts',
  audiences: ['urn:trustline:accounts'],
  scopes: ['accounts:read'],
  roles,
  tokenId: 'jti-1',
  issuedAt: 0,
  expiresAt: 0,
});

const account = (customerId: string): Account =>
  Object.assign({} as Account, {
    id: 'a1',
    customerId,
    name: 'Main',
    currency: 'EUR',
    balance: 10,
    version: 1,
    idempotencyKey: null,
    idempotencyFingerprint: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });

function fakes(loans: () => Promise<unknown[]> = async () => [{ id: 'l1' }]) {
  const accounts = { list: vi.fn(async (_principal: Principal, customerId: string) => [account(customerId)]) };
  const loansClient = { byCustomer: vi.fn(loans) };
  const cardsClient = { byCustomer: vi.fn(async () => [{ id: 'c1' }]) };
  const service = new CustomerDetailsService(accounts as unknown as AccountsService, loansClient as unknown as LoansClient, cardsClient as unknown as CardsClient);
  return { service, accounts, loansClient, cardsClient };
}

describe('CustomerDetailsService', () => {
  it("gathers the customer's accounts, loans and cards, passing the trace headers on", async () => {
    const { service, loansClient, cardsClient } = fakes();
    const trace = { 'x-request-id': 'req-1' };
    const details = await service.details(principal('user', 'alice-id', ['customer']), 'alice-id', trace);
    expect(details).toEqual({
      customerId: 'alice-id',
      accounts: [expect.objectContaining({ id: 'a1', customerId: 'alice-id', balance: 10, createdAt: '1970-01-01T00:00:00.000Z' })],
      loans: [{ id: 'l1' }],
      cards: [{ id: 'c1' }],
    });
    expect(loansClient.byCustomer).toHaveBeenCalledWith('alice-id', trace);
    expect(cardsClient.byCustomer).toHaveBeenCalledWith('alice-id', trace);
  });

  it('refuses a user asking for another customer before any downstream call', async () => {
    const { service, accounts, loansClient, cardsClient } = fakes();
    await expect(service.details(principal('user', 'alice-id', ['customer']), 'bob-id', {})).rejects.toBeInstanceOf(ForeignCustomerError);
    expect(accounts.list).not.toHaveBeenCalled();
    expect(loansClient.byCustomer).not.toHaveBeenCalled();
    expect(cardsClient.byCustomer).not.toHaveBeenCalled();
  });

  it('lets an admin and a client read anyone', async () => {
    const { service } = fakes();
    expect((await service.details(principal('user', 'admin-id', ['admin']), 'bob-id', {})).customerId).toBe('bob-id');
    expect((await service.details(principal('client', 'demo-cli'), 'bob-id', {})).customerId).toBe('bob-id');
  });

  it('fails whole when one source fails: no partial answer', async () => {
    const { service } = fakes(async () => {
      throw new DownstreamError('loans', 'timeout');
    });
    await expect(service.details(principal('client', 'demo-cli'), 'bob-id', {})).rejects.toMatchObject({ status: 502, message: 'loans unavailable' });
  });
});
