import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '@trustline/service-runtime';
import { CardsByCustomerRequest } from './cards-by-customer.request';

describe('CardsByCustomerRequest.parse', () => {
  it('accepts a customer id', () => {
    expect(CardsByCustomerRequest.parse({ customerId: 'alice-id' })).toEqual({ customerId: 'alice-id' });
  });

  it.each([
    ['no data', undefined],
    ['a string', 'alice-id'],
    ['an array', [{ customerId: 'alice-id' }]],
    ['no customer id', {}],
    ['a numeric customer id', { customerId: 42 }],
    ['an odd customer id', { customerId: 'alice bob' }],
    ['an unknown field', { customerId: 'alice-id', includeAll: true }],
  ])('refuses %s', (_name, data) => {
    expect(() => CardsByCustomerRequest.parse(data)).toThrow(InvalidRequestError);
  });
});
