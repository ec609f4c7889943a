import { DemoSeedModule, demoRowBase } from '@trustline/service-runtime';
import { Account } from './accounts/account.entity';

/** Alice's and bob's accounts in the demo (never in production): what the portal shows on first sign-in. */
export function demoAccounts(): Account[] {
  const account = (customer: 'alice' | 'bob', index: number, name: string, balance: number): Account => ({
    ...demoRowBase('accounts', customer, index),
    name,
    currency: 'EUR',
    balance,
    idempotencyFingerprint: null,
  });
  return [account('alice', 1, 'Everyday', 254_310), account('alice', 2, 'Savings', 1_200_000), account('bob', 1, 'Current', 87_550)];
}

export const accountsDemoSeed = (nodeEnv: string) => DemoSeedModule.forRoot({ entity: Account, rows: demoAccounts, nodeEnv });
