import { describe, expect, it } from 'vitest';
import type { ValidCard } from '../../shared/domain/cards.ts';
import { assessFraud, DEFAULT_FRAUD_RULES, type FraudContext, type FraudRule } from '../../shared/domain/fraud.ts';

const NOW = new Date('2026-11-24T10:00:00.000Z');
const VISA: ValidCard = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvv: '123', brand: 'visa' };

function context(overrides: Partial<FraudContext> = {}): FraudContext {
  return { amount: 1_000, currency: 'USD', card: VISA, customer: null, now: NOW, ...overrides };
}

function customerWithEmail(email: string | null) {
  return { email, name: null, phone: null };
}

/** A rule that always fires with the given weight. */
function always(id: string, weight: number): FraudRule {
  return { id, weight, fires: () => true };
}

describe('assessFraud with the default rules', () => {
  it('declines the documented compromised test card 4000000000000259 with a score above 70', () => {
    const assessment = assessFraud(context({ card: { ...VISA, number: '4000000000000259' } }));
    expect(assessment.score).toBeGreaterThan(70);
    expect(assessment.decision).toBe('decline');
    expect(assessment.rules).toEqual(['compromised_card']);
  });

  it('approves an ordinary card and amount with score 0 and no rule fired', () => {
    expect(assessFraud(context())).toEqual({ score: 0, decision: 'approve', rules: [] });
  });

  it('fires large_amount from 100000 minor units, on its own', () => {
    expect(assessFraud(context({ amount: 99_999 })).rules).toEqual([]);
    expect(assessFraud(context({ amount: 100_000 }))).toEqual({ score: 15, decision: 'approve', rules: ['large_amount'] });
    expect(assessFraud(context({ amount: 999_999 })).rules).toEqual(['large_amount']);
  });

  it('fires very_large_amount instead of large_amount from 1000000 minor units', () => {
    expect(assessFraud(context({ amount: 1_000_000 }))).toEqual({ score: 35, decision: 'approve', rules: ['very_large_amount'] });
    expect(assessFraud(context({ amount: 99_999_999 })).rules).toEqual(['very_large_amount']);
  });

  it('fires card_expires_this_month for a card expiring in the current UTC month only', () => {
    const thisMonth = assessFraud(context({ card: { ...VISA, expMonth: 11, expYear: 2026 } }));
    expect(thisMonth).toEqual({ score: 10, decision: 'approve', rules: ['card_expires_this_month'] });
    expect(assessFraud(context({ card: { ...VISA, expMonth: 12, expYear: 2026 } })).rules).toEqual([]);
    expect(assessFraud(context({ card: { ...VISA, expMonth: 11, expYear: 2027 } })).rules).toEqual([]);
  });

  it('fires disposable_email for a disposable domain, whatever its case', () => {
    for (const email of ['someone@mailinator.com', 'someone@Mailinator.COM', 'x@yopmail.com']) {
      expect(assessFraud(context({ customer: customerWithEmail(email) })), email).toEqual({
        score: 20,
        decision: 'approve',
        rules: ['disposable_email'],
      });
    }
  });

  it('does not fire disposable_email for an ordinary domain, a missing email or no customer', () => {
    expect(assessFraud(context({ customer: customerWithEmail('jane@example.com') })).rules).toEqual([]);
    expect(assessFraud(context({ customer: customerWithEmail('mailinator.com') })).rules).toEqual([]);
    expect(assessFraud(context({ customer: customerWithEmail(null) })).rules).toEqual([]);
    expect(assessFraud(context({ customer: null })).rules).toEqual([]);
  });

  it('fires unknown_card_brand for a card of no known brand', () => {
    expect(assessFraud(context({ card: { ...VISA, number: '1234567812345670', brand: 'unknown' } }))).toEqual({
      score: 10,
      decision: 'approve',
      rules: ['unknown_card_brand'],
    });
  });

  it('adds the weights of the rules that fired and lists them in evaluation order', () => {
    const assessment = assessFraud(
      context({
        amount: 1_000_000,
        card: { ...VISA, number: '1234567812345670', brand: 'unknown', expMonth: 11, expYear: 2026 },
        customer: customerWithEmail('a@tempmail.com'),
      }),
    );
    expect(assessment.rules).toEqual(['very_large_amount', 'card_expires_this_month', 'disposable_email', 'unknown_card_brand']);
    expect(assessment.score).toBe(35 + 10 + 20 + 10);
    expect(assessment.decision).toBe('decline');
  });

  it('caps the score at 100', () => {
    const assessment = assessFraud(
      context({ amount: 1_000_000, card: { ...VISA, number: '4000000000000259' }, customer: customerWithEmail('a@mailinator.com') }),
    );
    expect(assessment.rules).toEqual(['compromised_card', 'very_large_amount', 'disposable_email']);
    expect(assessment.score).toBe(100);
  });

  it('gives each default rule a distinct id', () => {
    const ids = DEFAULT_FRAUD_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('assessFraud decision thresholds', () => {
  it.each([
    [0, 'approve'],
    [50, 'approve'],
    [51, 'review'],
    [70, 'review'],
    [71, 'decline'],
    [100, 'decline'],
  ])('decides on a score of %i: %s', (score, decision) => {
    const assessment = assessFraud(context(), [always('custom', score)]);
    expect(assessment.score).toBe(score);
    expect(assessment.decision).toBe(decision);
  });

  it('uses only the rules it is given', () => {
    expect(assessFraud(context({ card: { ...VISA, number: '4000000000000259' } }), [])).toEqual({
      score: 0,
      decision: 'approve',
      rules: [],
    });
  });

  it('caps the sum of custom rules at 100 and still declines', () => {
    expect(assessFraud(context(), [always('a', 60), always('b', 60)])).toEqual({ score: 100, decision: 'decline', rules: ['a', 'b'] });
  });

  it('skips custom rules that do not fire', () => {
    const never: FraudRule = { id: 'never', weight: 99, fires: () => false };
    expect(assessFraud(context(), [never, always('b', 55)])).toEqual({ score: 55, decision: 'review', rules: ['b'] });
  });

  it('hands each rule the context it was given', () => {
    const seen: FraudContext[] = [];
    const spy: FraudRule = { id: 'spy', weight: 1, fires: (c) => (seen.push(c), false) };
    const ctx = context({ amount: 4_242 });
    assessFraud(ctx, [spy]);
    expect(seen).toEqual([ctx]);
  });
});
