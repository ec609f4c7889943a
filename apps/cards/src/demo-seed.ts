import { DemoSeedModule, demoRowBase } from '@trustline/service-runtime';
import { maskCardNumber } from './cards/card-rules';
import { Card } from './cards/card.entity';

/** Alice's and bob's cards in the demo (never in production): what the portal shows on first sign-in. */
export function demoCards(): Card[] {
  const card = (customer: 'alice' | 'bob', index: number, lastFour: string, limit: number, used: number): Card =>
    Object.assign(new Card(), { ...demoRowBase('cards', customer, index), currency: 'EUR', limit, used, maskedNumber: maskCardNumber(lastFour), idempotencyFingerprint: null });
  return [card('alice', 1, '4242', 300_000, 48_990), card('bob', 1, '1881', 150_000, 0)];
}

export const cardsDemoSeed = (nodeEnv: string) => DemoSeedModule.forRoot({ entity: Card, rows: demoCards, nodeEnv });
