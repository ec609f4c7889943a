import { BusinessRuleError, InvalidRequestError, StateConflictError } from '@trustline/service-runtime';

/**
 * The largest amount, in minor units, the service accepts, and the largest balance it keeps: every sum of
 * two stays an exact JS integer and fits PostgreSQL's bigint with room to spare.
 */
export const MAX_MINOR_UNITS = 1_000_000_000_000;

/** A name is 1–64 characters, no control characters, no leading or trailing blanks. */
export const ACCOUNT_NAME_MAX_LENGTH = 64;
export const ACCOUNT_NAME_PATTERN = /^(?!\s)(?!.*\s$)[^\p{Cc}]{1,64}$/u;

export interface AccountState {
  name: string;
  balance: number;
}

/** One PATCH: exactly one of a deposit, a withdrawal or a new name. */
export interface AccountChange {
  deposit?: number;
  withdraw?: number;
  name?: string;
}

function assertAmount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_MINOR_UNITS) {
    throw new BusinessRuleError('invalid_amount', `${name} must be an integer number of minor units from 1 to ${MAX_MINOR_UNITS}`);
  }
}

export function assertAccountName(name: string): void {
  if (typeof name !== 'string' || !ACCOUNT_NAME_PATTERN.test(name)) {
    throw new InvalidRequestError(`name must be 1 to ${ACCOUNT_NAME_MAX_LENGTH} characters, without control characters or surrounding blanks`);
  }
}

/** A new account: its name and opening balance (0 unless given; never negative). */
export function openAccount(name: string, balance = 0): AccountState {
  assertAccountName(name);
  if (!Number.isSafeInteger(balance) || balance < 0 || balance > MAX_MINOR_UNITS) {
    throw new BusinessRuleError('invalid_amount', `balance must be an integer number of minor units from 0 to ${MAX_MINOR_UNITS}`);
  }
  return { name, balance };
}

/**
 * Applies one change, refused whole (nothing changes) if it breaks a rule: a withdrawal never takes the
 * balance below zero, a deposit never lifts it above MAX_MINOR_UNITS.
 */
export function applyAccountChange(account: AccountState, change: AccountChange): AccountState {
  const given = (['deposit', 'withdraw', 'name'] as const).filter((field) => change[field] !== undefined);
  if (given.length !== 1) throw new InvalidRequestError('send exactly one of deposit, withdraw or name');
  if (change.name !== undefined) {
    assertAccountName(change.name);
    return { name: change.name, balance: account.balance };
  }
  if (change.deposit !== undefined) {
    assertAmount(change.deposit, 'deposit');
    const room = MAX_MINOR_UNITS - account.balance;
    if (change.deposit > room)
      throw new BusinessRuleError('balance_limit_exceeded', `the deposit of ${change.deposit} would take the balance above ${MAX_MINOR_UNITS}`, { balance: account.balance });
    return { name: account.name, balance: account.balance + change.deposit };
  }
  const withdrawal = change.withdraw as number;
  assertAmount(withdrawal, 'withdraw');
  if (withdrawal > account.balance) {
    throw new BusinessRuleError('insufficient_funds', `the withdrawal of ${withdrawal} exceeds the balance of ${account.balance}`, { balance: account.balance });
  }
  return { name: account.name, balance: account.balance - withdrawal };
}

/** An account can be closed (deleted) only when empty: money held is never erased. */
export function assertDeletable(account: AccountState): void {
  if (account.balance !== 0) throw new StateConflictError('account_not_empty', `the account still holds ${account.balance}`, { balance: account.balance });
}
