import { BusinessRuleError, StateConflictError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { applyPayment, assertDeletable, MAX_MINOR_UNITS, openLoan, outstandingOf } from './loan-rules';

describe('openLoan', () => {
  it('starts with nothing repaid', () => {
    expect(openLoan(10_000)).toEqual({ amount: 10_000, paid: 0 });
    expect(outstandingOf(openLoan(10_000))).toBe(10_000);
  });

  it.each([0, -1, 1.5, Number.NaN, MAX_MINOR_UNITS + 1])('refuses the amount %s', (amount) => {
    expect(() => openLoan(amount)).toThrow(BusinessRuleError);
  });
});

describe('applyPayment', () => {
  it('adds the payment to paid and lowers the outstanding by as much', () => {
    const after = applyPayment({ amount: 1000, paid: 250 }, 100);
    expect(after).toEqual({ amount: 1000, paid: 350 });
    expect(outstandingOf(after)).toBe(650);
  });

  it('accepts exactly the outstanding, leaving zero', () => {
    expect(outstandingOf(applyPayment({ amount: 1000, paid: 250 }, 750))).toBe(0);
  });

  it('refuses an overpayment with the outstanding in the error, and changes nothing', () => {
    const loan = { amount: 1000, paid: 250 };
    try {
      applyPayment(loan, 751);
      expect.unreachable('an overpayment must be refused');
    } catch (error) {
      expect(error).toBeInstanceOf(BusinessRuleError);
      expect(error).toMatchObject({ code: 'overpayment', status: 422, details: { outstanding: 750 } });
    }
    expect(loan).toEqual({ amount: 1000, paid: 250 });
  });

  it('refuses any payment on a settled loan', () => {
    expect(() => applyPayment({ amount: 1000, paid: 1000 }, 1)).toThrow(expect.objectContaining({ code: 'overpayment' }));
  });

  it.each([0, -5, 0.5, MAX_MINOR_UNITS + 1])('refuses the payment %s', (payment) => {
    expect(() => applyPayment({ amount: 1000, paid: 0 }, payment)).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
  });

  it('keeps 0 <= paid <= amount over any sequence of accepted payments', () => {
    let loan = openLoan(997);
    const payments = [13, 400, 1000, 3, 581, 1, 1];
    for (const payment of payments) {
      try {
        loan = applyPayment(loan, payment);
      } catch {
        // refused payments leave the loan as it was
      }
      expect(loan.paid).toBeGreaterThanOrEqual(0);
      expect(loan.paid).toBeLessThanOrEqual(loan.amount);
    }
    expect(loan.paid).toBe(13 + 400 + 3 + 581);
  });
});

describe('assertDeletable', () => {
  it('allows removing a settled loan only', () => {
    expect(() => assertDeletable({ amount: 500, paid: 500 })).not.toThrow();
    expect(() => assertDeletable({ amount: 500, paid: 499 })).toThrow(StateConflictError);
  });
});
