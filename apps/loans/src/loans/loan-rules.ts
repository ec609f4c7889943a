import { BusinessRuleError, StateConflictError } from '@trustline/service-runtime';

/**
 * The largest amount, in minor units, the service accepts: every sum of two stays an exact JS integer
 * and fits PostgreSQL's bigint with room to spare.
 */
export const MAX_MINOR_UNITS = 1_000_000_000_000;

export interface LoanBalance {
  amount: number;
  paid: number;
}

export function outstandingOf(loan: LoanBalance): number {
  return loan.amount - loan.paid;
}

function assertMinorUnits(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_MINOR_UNITS) {
    throw new BusinessRuleError('invalid_amount', `${name} must be an integer number of minor units from 1 to ${MAX_MINOR_UNITS}`);
  }
}

/** A new loan's balance: the principal lent, nothing repaid yet. */
export function openLoan(amount: number): LoanBalance {
  assertMinorUnits(amount, 'amount');
  return { amount, paid: 0 };
}

/** One repayment: refused whole (nothing changes) if it would pay more than is outstanding. */
export function applyPayment(loan: LoanBalance, payment: number): LoanBalance {
  assertMinorUnits(payment, 'payment');
  const outstanding = outstandingOf(loan);
  if (payment > outstanding) {
    throw new BusinessRuleError('overpayment', `the payment of ${payment} exceeds the outstanding ${outstanding}`, { outstanding });
  }
  return { amount: loan.amount, paid: loan.paid + payment };
}

/** A loan record may only be removed once it is fully repaid: an open debt is never erased. */
export function assertDeletable(loan: LoanBalance): void {
  const outstanding = outstandingOf(loan);
  if (outstanding !== 0) throw new StateConflictError('loan_outstanding', `the loan still has ${outstanding} outstanding`, { outstanding });
}
