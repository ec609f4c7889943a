import { BusinessRuleError, InvalidRequestError, StateConflictError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { applyAccountChange, assertAccountName, assertDeletable, MAX_MINOR_UNITS, openAccount } from './account-rules';

describe('openAccount', () => {
  it('opens empty unless given an opening balance', () => {
    expect(openAccount('Savings')).toEqual({ name: 'Savings', balance: 0 });
    expect(openAccount('Savings', 2_500)).toEqual({ name: 'Savings', balance: 2_500 });
    expect(openAccount('n'.repeat(64), MAX_MINOR_UNITS)).toMatchObject({ balance: MAX_MINOR_UNITS });
  });

  it.each([-1, 1.5, Number.NaN, MAX_MINOR_UNITS + 1])('refuses the opening balance %s', (balance) => {
    expect(() => openAccount('Savings', balance)).toThrow(BusinessRuleError);
  });

  it.each(['', ' ', ' padded', 'padded ', 'n'.repeat(65), 'tab\there', 'line\nbreak'])('refuses the name %j', (name) => {
    expect(() => openAccount(name)).toThrow(InvalidRequestError);
  });

  it('accepts names with inner spaces and non-ASCII letters', () => {
    expect(() => assertAccountName('Épargne de Zoë')).not.toThrow();
    expect(() => assertAccountName('Holiday fund 2026')).not.toThrow();
  });
});

describe('applyAccountChange', () => {
  const account = { name: 'Main', balance: 1_000 };

  it('deposits and withdraws', () => {
    expect(applyAccountChange(account, { deposit: 250 })).toEqual({ name: 'Main', balance: 1_250 });
    expect(applyAccountChange(account, { withdraw: 250 })).toEqual({ name: 'Main', balance: 750 });
  });

  it('lets a withdrawal empty the account exactly', () => {
    expect(applyAccountChange(account, { withdraw: 1_000 })).toEqual({ name: 'Main', balance: 0 });
  });

  it('refuses a withdrawal beyond the balance with the balance in the error, and changes nothing', () => {
    try {
      applyAccountChange(account, { withdraw: 1_001 });
      expect.unreachable('an overdraft must be refused');
    } catch (error) {
      expect(error).toBeInstanceOf(BusinessRuleError);
      expect(error).toMatchObject({ code: 'insufficient_funds', status: 422, details: { balance: 1_000 } });
    }
    expect(account).toEqual({ name: 'Main', balance: 1_000 });
  });

  it('refuses a deposit that would take the balance above the maximum', () => {
    expect(() => applyAccountChange({ name: 'Main', balance: MAX_MINOR_UNITS }, { deposit: 1 })).toThrow(expect.objectContaining({ code: 'balance_limit_exceeded', status: 422 }));
  });

  it('renames, keeping the balance', () => {
    expect(applyAccountChange(account, { name: 'Household' })).toEqual({ name: 'Household', balance: 1_000 });
    expect(() => applyAccountChange(account, { name: '' })).toThrow(InvalidRequestError);
  });

  it.each([0, -5, 0.5, MAX_MINOR_UNITS + 1])('refuses the amount %s', (amount) => {
    expect(() => applyAccountChange(account, { deposit: amount })).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    expect(() => applyAccountChange(account, { withdraw: amount })).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
  });

  it('needs exactly one of deposit, withdraw or name', () => {
    for (const change of [{}, { deposit: 1, withdraw: 1 }, { deposit: 1, name: 'x' }, { withdraw: 1, name: 'x' }]) {
      expect(() => applyAccountChange(account, change), JSON.stringify(change)).toThrow(InvalidRequestError);
    }
  });

  it('never lets the balance go negative over any sequence of accepted changes', () => {
    let state = openAccount('Main', 100);
    const changes = [{ withdraw: 60 }, { withdraw: 60 }, { deposit: 5 }, { withdraw: 45 }, { withdraw: 1 }, { deposit: 7 }, { withdraw: 8 }];
    for (const change of changes) {
      try {
        state = applyAccountChange(state, change);
      } catch {
        // refused changes leave the account as it was
      }
      expect(state.balance).toBeGreaterThanOrEqual(0);
    }
    expect(state.balance).toBe(100 - 60 + 5 - 45 + 7);
  });
});

describe('assertDeletable', () => {
  it('allows closing an empty account only', () => {
    expect(() => assertDeletable({ name: 'Main', balance: 0 })).not.toThrow();
    expect(() => assertDeletable({ name: 'Main', balance: 1 })).toThrow(StateConflictError);
    expect(() => assertDeletable({ name: 'Main', balance: 1 })).toThrow(expect.objectContaining({ code: 'account_not_empty', details: { balance: 1 } }));
  });
});
