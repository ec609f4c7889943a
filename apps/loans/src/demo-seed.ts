import { DemoSeedModule, demoRowBase } from '@trustline/service-runtime';
import { Loan } from './loans/loan.entity';

/** Alice's and bob's loans in the demo (never in production): what the portal shows on first sign-in. */
export function demoLoans(): Loan[] {
  const loan = (customer: 'alice' | 'bob', index: number, amount: number, paid: number): Loan =>
    Object.assign(new Loan(), { ...demoRowBase('loans', customer, index), currency: 'EUR', amount, paid });
  return [loan('alice', 1, 1_500_000, 325_000), loan('bob', 1, 600_000, 0)];
}

export const loansDemoSeed = (nodeEnv: string) => DemoSeedModule.forRoot({ entity: Loan, rows: demoLoans, nodeEnv });
