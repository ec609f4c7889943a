import type { Principal } from '@trustline/security';
import { InvalidRequestError, ForeignCustomerError, ResourceNotFoundError } from './domain-errors';

/** A customer id is a user's `sub` (a UUID for users, a client id for M2M callers): a bounded, plain token. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * The ownership policy (CONVENTIONS.md). Scopes are already checked by the guard; this decides whose
 * data the caller may touch: users their own (admins anyone's), clients holding the scope anyone's.
 */
export function isAdmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.roles.includes('admin');
}

export function mayActFor(principal: Principal, customerId: string): boolean {
  if (principal.kind === 'client') return true;
  return isAdmin(principal) || principal.subject === customerId;
}

/**
 * The customer a list or a create is about: a user who names nobody means themselves; a client must
 * name the customer, since a client's own `sub` is not a customer.
 */
export function targetCustomer(principal: Principal, requested: string | undefined): string {
  if (requested === undefined) {
    if (principal.kind === 'user') return principal.subject;
    throw new InvalidRequestError('customerId is required for client principals');
  }
  if (!mayActFor(principal, requested)) throw new ForeignCustomerError();
  return requested;
}

/** The entity if the caller may see it; someone else's is answered exactly like a missing one (404). */
export function ownedOrNotFound<T extends { customerId: string }>(principal: Principal, entity: T | null, kind: string): T {
  if (!entity || !mayActFor(principal, entity.customerId)) throw new ResourceNotFoundError(kind);
  return entity;
}
