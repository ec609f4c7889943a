import { BusinessRuleError, InvalidRequestError, StateConflictError } from '@trustline/service-runtime';

/**
 * The largest amount, in minor units, the service accepts: every sum of two stays an exact JS integer
 * and fits PostgreSQL's bigint with room to spare.
 */
export const MAX_MINOR_UNITS = 1_000_000_000_000;

export interface CardBalance {
  limit: number;
  used: number;
}

/** One PATCH: any of the three, at least one. */
export interface CardChange {
  charge?: number;
  repayment?: number;
  limit?: number;
}

export function availableOf(card: CardBalance): number {
  return card.limit - card.used;
}

function assertMinorUnits(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_MINOR_UNITS) {
    throw new BusinessRuleError('invalid_amount', `${name} must be an integer number of minor units from 1 to ${MAX_MINOR_UNITS}`);
  }
}

/** A new card: its limit, nothing drawn. */
export function issueCard(limit: number): CardBalance {
  assertMinorUnits(limit, 'limit');
  return { limit, used: 0 };
}

/**
 * Applies a change as one step, in the order that gives the holder the most room: the repayment first
 * (it frees credit), then the new limit, then the charge. Each step must keep 0 ≤ used ≤ limit; if any
 * fails the whole change is refused and nothing moves.
 */
export function applyCardChange(card: CardBalance, change: CardChange): CardBalance {
  if (change.charge === undefined && change.repayment === undefined && change.limit === undefined) {
    throw new InvalidRequestError('send at least one of charge, repayment or limit');
  }
  let { limit, used } = card;
  if (change.repayment !== undefined) {
    assertMinorUnits(change.repayment, 'repayment');
    if (change.repayment > used) throw new BusinessRuleError('overrepayment', `the repayment of ${change.repayment} exceeds the balance of ${used}`, { used });
    used -= change.repayment;
  }
  if (change.limit !== undefined) {
    assertMinorUnits(change.limit, 'limit');
    if (change.limit < used) throw new BusinessRuleError('limit_below_used', `the limit cannot go below the balance of ${used}`, { used });
    limit = change.limit;
  }
  if (change.charge !== undefined) {
    assertMinorUnits(change.charge, 'charge');
    const available = limit - used;
    if (change.charge > available) throw new BusinessRuleError('limit_exceeded', `the charge of ${change.charge} exceeds the available ${available}`, { available });
    used += change.charge;
  }
  return { limit, used };
}

/** A card can be closed (deleted) only with nothing drawn on it: a balance owed is never erased. */
export function assertDeletable(card: CardBalance): void {
  if (card.used !== 0) throw new StateConflictError('card_balance_outstanding', `the card still has a balance of ${card.used}`, { used: card.used });
}

/** The only form of a card number this service keeps or shows: the last four digits. */
export function maskCardNumber(lastFour: string): string {
  if (!/^[0-9]{4}$/.test(lastFour)) throw new TypeError('a masked number keeps exactly the last four digits');
  return `**** **** **** ${lastFour}`;
}
