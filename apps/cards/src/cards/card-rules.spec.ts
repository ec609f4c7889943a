import { BusinessRuleError, InvalidRequestError, StateConflictError } from '@trustline/service-runtime';
import { describe, expect, it } from 'vitest';
import { applyCardChange, assertDeletable, availableOf, issueCard, maskCardNumber, MAX_MINOR_UNITS } from './card-rules';

describe('issueCard', () => {
  it('starts with nothing drawn', () => {
    expect(issueCard(50_000)).toEqual({ limit: 50_000, used: 0 });
    expect(availableOf(issueCard(50_000))).toBe(50_000);
  });

  it.each([0, -1, 2.5, MAX_MINOR_UNITS + 1])('refuses the limit %s', (limit) => {
    expect(() => issueCard(limit)).toThrow(BusinessRuleError);
  });
});

describe('applyCardChange', () => {
  const card = { limit: 1_000, used: 300 };

  it('charges within the available credit', () => {
    expect(applyCardChange(card, { charge: 700 })).toEqual({ limit: 1_000, used: 1_000 });
  });

  it('refuses a charge beyond the available credit, saying how much is available', () => {
    expect(() => applyCardChange(card, { charge: 701 })).toThrow(expect.objectContaining({ code: 'limit_exceeded', status: 422, details: { available: 700 } }));
  });

  it('repays up to the balance, never below zero', () => {
    expect(applyCardChange(card, { repayment: 300 })).toEqual({ limit: 1_000, used: 0 });
    expect(() => applyCardChange(card, { repayment: 301 })).toThrow(expect.objectContaining({ code: 'overrepayment' }));
  });

  it('moves the limit, but never below the balance', () => {
    expect(applyCardChange(card, { limit: 300 })).toEqual({ limit: 300, used: 300 });
    expect(applyCardChange(card, { limit: 5_000 })).toEqual({ limit: 5_000, used: 300 });
    expect(() => applyCardChange(card, { limit: 299 })).toThrow(expect.objectContaining({ code: 'limit_below_used' }));
  });

  it('applies repayment, then limit, then charge, as one step', () => {
    // The repayment frees room for the lower limit, and the charge uses the new limit.
    expect(applyCardChange(card, { repayment: 200, limit: 150, charge: 50 })).toEqual({ limit: 150, used: 150 });
    expect(() => applyCardChange(card, { repayment: 200, limit: 150, charge: 51 })).toThrow(expect.objectContaining({ code: 'limit_exceeded' }));
  });

  it('changes nothing when refused', () => {
    const before = { ...card };
    expect(() => applyCardChange(card, { repayment: 100, charge: 10_000 })).toThrow(BusinessRuleError);
    expect(card).toEqual(before);
  });

  it('requires at least one change and positive integer amounts', () => {
    expect(() => applyCardChange(card, {})).toThrow(InvalidRequestError);
    for (const change of [{ charge: 0 }, { charge: -1 }, { repayment: 1.5 }, { limit: 0 }, { limit: MAX_MINOR_UNITS + 1 }]) {
      expect(() => applyCardChange(card, change), JSON.stringify(change)).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    }
  });

  it('keeps 0 <= used <= limit over any sequence of accepted changes', () => {
    let state = issueCard(500);
    const changes = [{ charge: 200 }, { charge: 400 }, { limit: 100 }, { repayment: 50 }, { limit: 150 }, { charge: 1 }, { repayment: 151 }, { repayment: 151, charge: 1 }];
    for (const change of changes) {
      try {
        state = applyCardChange(state, change);
      } catch {
        // refused changes leave the card as it was
      }
      expect(state.used).toBeGreaterThanOrEqual(0);
      expect(state.used).toBeLessThanOrEqual(state.limit);
    }
    expect(state).toEqual({ limit: 150, used: 150 });
  });
});

describe('assertDeletable', () => {
  it('allows closing a card only with nothing drawn', () => {
    expect(() => assertDeletable({ limit: 100, used: 0 })).not.toThrow();
    expect(() => assertDeletable({ limit: 100, used: 1 })).toThrow(StateConflictError);
  });
});

describe('maskCardNumber', () => {
  it('shows only the last four digits', () => {
    expect(maskCardNumber('0042')).toBe('**** **** **** 0042');
  });

  it('refuses anything but exactly four digits (a full PAN is never accepted)', () => {
    for (const bad of ['4111111111111111', '123', '12a4', '']) expect(() => maskCardNumber(bad), bad).toThrow(TypeError);
  });
});
