import type { Principal } from '@trustline/security';
import { describe, expect, it } from 'vitest';
import { ForeignCustomerError, InvalidRequestError, ResourceNotFoundError } from './domain-errors';
import { CUSTOMER_ID_PATTERN, mayActFor, ownedOrNotFound, targetCustomer } from './customer-access';

const principal = (kind: Principal['kind'], subject: string, roles: string[] = []): Principal => ({
  kind,
  subject,
  clientId: kind === 'client' ? subject : 'portal',
  audience: 'urn:trustline:loans',
  scopes: ['loans:read', 'loans:write'],
  roles,
  tokenId: 'jti-1',
  issuedAt: 0,
  expiresAt: 0,
});

const alice = principal('user', 'alice-id', ['customer']);
const admin = principal('user', 'admin-id', ['admin']);
const service = principal('client', 'accounts-service');

describe('mayActFor', () => {
  it('lets a customer act only for themselves', () => {
    expect(mayActFor(alice, 'alice-id')).toBe(true);
    expect(mayActFor(alice, 'bob-id')).toBe(false);
  });

  it('lets an admin user and a client with the scope act for anyone', () => {
    expect(mayActFor(admin, 'bob-id')).toBe(true);
    expect(mayActFor(service, 'bob-id')).toBe(true);
  });

  it('widens a user only for the exact admin role', () => {
    expect(mayActFor(principal('user', 'carol-id', ['administrator']), 'bob-id')).toBe(false);
    expect(mayActFor(principal('user', 'carol-id', ['customer', 'auditor']), 'bob-id')).toBe(false);
  });
});

describe('targetCustomer', () => {
  it('defaults a user to their own id', () => {
    expect(targetCustomer(alice, undefined)).toBe('alice-id');
    expect(targetCustomer(admin, undefined)).toBe('admin-id');
  });

  it('refuses a user naming another customer', () => {
    expect(() => targetCustomer(alice, 'bob-id')).toThrow(ForeignCustomerError);
  });

  it('requires a client to name the customer', () => {
    expect(() => targetCustomer(service, undefined)).toThrow(InvalidRequestError);
    expect(targetCustomer(service, 'bob-id')).toBe('bob-id');
  });
});

describe('CUSTOMER_ID_PATTERN', () => {
  it('accepts UUIDs and client ids, refuses empty, oversized and odd values', () => {
    expect(CUSTOMER_ID_PATTERN.test('6f1c2f7e-2d0b-4a8e-9a54-0c4a3c1d2e3f')).toBe(true);
    expect(CUSTOMER_ID_PATTERN.test('accounts-service')).toBe(true);
    expect(CUSTOMER_ID_PATTERN.test('')).toBe(false);
    expect(CUSTOMER_ID_PATTERN.test('a'.repeat(129))).toBe(false);
    expect(CUSTOMER_ID_PATTERN.test('alice; DROP TABLE loans')).toBe(false);
    expect(CUSTOMER_ID_PATTERN.test('../alice')).toBe(false);
  });
});

describe('ownedOrNotFound', () => {
  it("answers someone else's entity exactly like a missing one", () => {
    const entity = { customerId: 'alice', id: 'x' };
    expect(ownedOrNotFound(principal('user', 'alice'), entity, 'loan')).toBe(entity);
    expect(() => ownedOrNotFound(principal('user', 'bob'), entity, 'loan')).toThrow(ResourceNotFoundError);
    expect(() => ownedOrNotFound(principal('user', 'alice'), null, 'loan')).toThrow(ResourceNotFoundError);
    expect(ownedOrNotFound(principal('user', 'bob', ['admin']), entity, 'loan')).toBe(entity);
  });
});
