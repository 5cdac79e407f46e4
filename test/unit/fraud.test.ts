import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ValidCard } from '../../shared/domain/cards.ts';
import {
  assessFraud,
  DEFAULT_FRAUD_RULES,
  DEFAULT_FRAUD_THRESHOLDS,
  DEFAULT_VELOCITY_LIMITS,
  blockListValue,
  canonicalIp,
  fraudAssessmentView,
  fraudRules,
  nearMissEmailDomain,
  NO_FRAUD_HISTORY,
  type FraudContext,
  type FraudHistory,
  type FraudRule,
} from '../../shared/domain/fraud.ts';

const NOW = new Date('2026-11-24T10:00:00.000Z');
const VISA: ValidCard = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvv: '123', brand: 'visa' };

/** A context; a history given in part is the rest of no history at all. */
function context(overrides: Partial<Omit<FraudContext, 'history'>> & { history?: Partial<FraudHistory> } = {}): FraudContext {
  const { history, ...rest } = overrides;
  return { amount: 1_000, currency: 'USD', card: VISA, customer: null, clientIp: null, now: NOW, blocked: [], ...rest, history: { ...NO_FRAUD_HISTORY, ...history } };
}

function customerWithEmail(email: string | null) {
  return { email, name: null, phone: null };
}

const ids = (c: FraudContext, rules?: readonly FraudRule[]) => assessFraud(c, rules).rules.map((r) => r.id);

/** A rule that always fires with the given weight. */
function always(id: string, weight: number): FraudRule {
  return { id, weight, reason: `${id} fired`, fires: () => true };
}

const ip = (counts: Partial<NonNullable<FraudHistory['ip']>>): FraudHistory => ({
  ...NO_FRAUD_HISTORY,
  card: { attempts: 0, declines: 0 },
  ip: { attempts: 0, declines: 0, newCards: 0, smallAmounts: 0, ...counts },
});

describe('assessFraud with the default rules', () => {
  it('declines the documented compromised test card 4000000000000259 with a score above 70, naming the rule, its weight and why', () => {
    const assessment = assessFraud(context({ card: { ...VISA, number: '4000000000000259' } }));
    expect(assessment.score).toBeGreaterThan(70);
    expect(assessment.decision).toBe('decline');
    expect(assessment.rules).toEqual([{ id: 'compromised_card', weight: 90, reason: 'The card number is reported as compromised.' }]);
  });

  it('approves an ordinary card and amount with score 0 and no rule fired', () => {
    expect(assessFraud(context())).toEqual({ score: 0, decision: 'approve', rules: [] });
  });

  it('fires large_amount from 100000 minor units, and very_large_amount instead from 1000000', () => {
    expect(ids(context({ amount: 99_999 }))).toEqual([]);
    expect(assessFraud(context({ amount: 100_000 }))).toMatchObject({ score: 15, decision: 'approve', rules: [{ id: 'large_amount', weight: 15 }] });
    expect(ids(context({ amount: 999_999 }))).toEqual(['large_amount']);
    expect(assessFraud(context({ amount: 1_000_000 }))).toMatchObject({ score: 35, decision: 'review', rules: [{ id: 'very_large_amount' }] });
  });

  it('fires card_expires_this_month for a card expiring in the current UTC month only', () => {
    expect(ids(context({ card: { ...VISA, expMonth: 11, expYear: 2026 } }))).toEqual(['card_expires_this_month']);
    expect(ids(context({ card: { ...VISA, expMonth: 12, expYear: 2026 } }))).toEqual([]);
    expect(ids(context({ card: { ...VISA, expMonth: 11, expYear: 2027 } }))).toEqual([]);
  });

  it('fires disposable_email for a disposable domain, whatever its case, and not for others', () => {
    for (const email of ['someone@mailinator.com', 'someone@Mailinator.COM', 'x@yopmail.com']) expect(ids(context({ customer: customerWithEmail(email) })), email).toEqual(['disposable_email']);
    for (const customer of [customerWithEmail('jane@example.com'), customerWithEmail('mailinator.com'), customerWithEmail(null), null]) {
      expect(ids(context({ customer }))).toEqual([]);
    }
  });

  it('fires email_domain_near_miss for a domain one typo from a common provider, whatever its case, and not for the provider or real look-alikes', () => {
    for (const email of ['jane@gmial.com', 'jane@gmal.com', 'jane@GMAIL.CO', 'jane@hotmial.com', 'jane@yahooo.com', 'jane@outlok.com', 'jane@icloud.co']) {
      expect(ids(context({ customer: customerWithEmail(email) })), email).toEqual(['email_domain_near_miss']);
    }
    for (const email of ['jane@gmail.com', 'jane@Gmail.com', 'jane@ymail.com', 'jane@mail.com', 'jane@example.com', 'jane@gmx.net', 'jane@me.com', 'jane@shop.example']) {
      expect(ids(context({ customer: customerWithEmail(email) })), email).toEqual([]);
    }
  });

  it('never fires email_domain_near_miss for a common provider itself, and fires it only a typo away (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com'), fc.nat(20), fc.constantFrom('x', 'q', 'z'), (domain, at, letter) => {
        const position = at % domain.length;
        const inserted = `${domain.slice(0, position)}${letter}${domain.slice(position)}`;
        return nearMissEmailDomain(domain) === null && nearMissEmailDomain(inserted) === domain;
      }),
    );
  });

  it('fires unknown_card_brand for a card of no known brand', () => {
    expect(ids(context({ card: { ...VISA, number: '1234567812345670', brand: 'unknown' } }))).toEqual(['unknown_card_brand']);
  });

  it('declines whatever is on the block list', () => {
    for (const blocked of [['card_fingerprint'], ['email'], ['ip']] as const) {
      expect(assessFraud(context({ blocked }))).toMatchObject({ score: 100, decision: 'decline', rules: [{ id: 'block_list', weight: 100 }] });
    }
  });

  it('adds the weights of the rules that fired and lists them in evaluation order', () => {
    const assessment = assessFraud(
      context({ amount: 1_000_000, card: { ...VISA, number: '1234567812345670', brand: 'unknown', expMonth: 11, expYear: 2026 }, customer: customerWithEmail('a@tempmail.com') }),
    );
    expect(assessment.rules.map((r) => r.id)).toEqual(['very_large_amount', 'card_expires_this_month', 'disposable_email', 'unknown_card_brand']);
    expect(assessment.score).toBe(35 + 10 + 20 + 10);
    expect(assessment.decision).toBe('decline');
  });

  it('gives each default rule a distinct id, a positive weight and a reason', () => {
    const seen = DEFAULT_FRAUD_RULES.map((rule) => rule.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const rule of DEFAULT_FRAUD_RULES) {
      expect(rule.weight, rule.id).toBeGreaterThan(0);
      expect(rule.reason.length, rule.id).toBeGreaterThan(10);
    }
  });
});

describe('the velocity rules', () => {
  it('fire card_velocity from the limit of earlier attempts of the card, not before', () => {
    const limit = DEFAULT_VELOCITY_LIMITS.cardAttempts;
    expect(ids(context({ history: { card: { attempts: limit - 1, declines: 0 }, ip: null } }))).toEqual([]);
    expect(ids(context({ history: { card: { attempts: limit, declines: 0 }, ip: null } }))).toEqual(['card_velocity']);
  });

  it('fire card_recent_declines once the card was declined often enough', () => {
    const limit = DEFAULT_VELOCITY_LIMITS.cardDeclines;
    expect(ids(context({ history: { card: { attempts: limit, declines: limit - 1 }, ip: null } }))).toEqual([]);
    expect(ids(context({ history: { card: { attempts: limit, declines: limit }, ip: null } }))).toEqual(['card_recent_declines']);
  });

  it('fire ip_card_testing for a card new to the merchant after too many new cards from the IP, and not for a card seen before', () => {
    const limit = DEFAULT_VELOCITY_LIMITS.ipNewCards;
    expect(ids(context({ history: ip({ newCards: limit - 1, attempts: limit - 1 }) }))).toEqual([]);
    expect(ids(context({ history: ip({ newCards: limit, attempts: limit }) }))).toEqual(['ip_card_testing']);
    const seenCard = { ...ip({ newCards: limit, attempts: limit }), card: { attempts: 1, declines: 0 } };
    expect(ids(context({ history: seenCard }))).toEqual([]);
  });

  it('fire small_amount_burst only for a small amount after enough small amounts from the IP', () => {
    const history = ip({ smallAmounts: DEFAULT_VELOCITY_LIMITS.ipSmallAmounts, attempts: DEFAULT_VELOCITY_LIMITS.ipSmallAmounts });
    expect(ids(context({ amount: 499, history }))).toEqual(['small_amount_burst']);
    expect(ids(context({ amount: 500, history }))).toEqual([]);
    expect(ids(context({ amount: 499, history: ip({ smallAmounts: DEFAULT_VELOCITY_LIMITS.ipSmallAmounts - 1 }) }))).toEqual([]);
  });

  it('fire ip_velocity and ip_declines at their limits', () => {
    expect(ids(context({ history: { ...ip({ attempts: DEFAULT_VELOCITY_LIMITS.ipAttempts }), card: { attempts: 1, declines: 0 } } }))).toEqual(['ip_velocity']);
    expect(ids(context({ history: { ...ip({ attempts: 1, declines: DEFAULT_VELOCITY_LIMITS.ipDeclines }), card: { attempts: 1, declines: 0 } } }))).toEqual([
      'ip_declines',
    ]);
  });

  it('fire no IP rule when the shopper IP is unknown, whatever the card counts', () => {
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), (attempts, declines) => {
        const fired = ids(context({ amount: 100, history: { card: { attempts, declines }, ip: null } }));
        return fired.every((id) => !id.startsWith('ip_') && id !== 'small_amount_burst');
      }),
    );
  });

  it('never decline on card and IP counts alone, whatever they are: a shopper retrying a declined card from one IP gets the issuer’s answer', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.integer({ min: 500, max: 99_999 }), (cardAttempts, cardDeclines, ipAttempts, ipDeclines, newCards, amount) => {
        // Card testing is new cards from the IP: a card seen before, or an amount that is not small, is not that.
        const history: Partial<FraudHistory> = { card: { attempts: cardAttempts + 1, declines: cardDeclines }, ip: { attempts: ipAttempts, declines: ipDeclines, newCards, smallAmounts: ipAttempts } };
        return assessFraud(context({ amount, history })).decision !== 'decline';
      }),
    );
  });

  it('review a card declined twice before, whether the issuer declines it again or approves it (declines then approval)', () => {
    const assessment = assessFraud(context({ history: { card: { attempts: 2, declines: 2 }, ip: null } }));
    expect(assessment).toMatchObject({ decision: 'review', rules: [{ id: 'card_recent_declines' }] });
  });

  it('fire amount_far_above_usual for an amount over 10 times the merchant’s average in the currency, once it has 20 payments in it', () => {
    const merchant = (payments: number, amountTotal: number) => ({ merchant: { payments, amountTotal } });
    expect(assessFraud(context({ amount: 10_001, history: merchant(20, 20_000) }))).toMatchObject({ decision: 'review', rules: [{ id: 'amount_far_above_usual', weight: 30 }] });
    expect(ids(context({ amount: 10_000, history: merchant(20, 20_000) }))).toEqual([]);
    expect(ids(context({ amount: 50_000, history: merchant(19, 19_000) }))).toEqual([]);
    expect(ids(context({ amount: 50_000, history: merchant(0, 0) }))).toEqual([]);
  });

  it('move the thresholds with the limits given', () => {
    const strict = fraudRules({ ...DEFAULT_VELOCITY_LIMITS, cardAttempts: 1 });
    expect(ids(context({ history: { card: { attempts: 1, declines: 0 }, ip: null } }), strict)).toEqual(['card_velocity']);
  });

  it('decline a card-testing run once new cards and small amounts pile up from one IP, reviewing it first', () => {
    const decisions = [];
    for (let n = 0; n < 8; n++) decisions.push(assessFraud(context({ amount: 100, history: ip({ attempts: n, newCards: n, smallAmounts: n }) })).decision);
    expect(decisions.slice(0, 3)).toEqual(['approve', 'approve', 'approve']);
    expect(decisions[3]).toBe('review');
    expect(decisions.slice(4)).toEqual(['decline', 'decline', 'decline', 'decline']);
  });
});

describe('assessFraud decision thresholds', () => {
  it.each([
    [0, 'approve'],
    [29, 'approve'],
    [30, 'review'],
    [70, 'review'],
    [71, 'decline'],
    [100, 'decline'],
  ])('decides on a score of %i at the default thresholds: %s', (score, decision) => {
    const assessment = assessFraud(context(), [always('custom', score)]);
    expect(assessment.score).toBe(score);
    expect(assessment.decision).toBe(decision);
  });

  it('decides at the merchant’s own thresholds', () => {
    const thresholds = { reviewAbove: 10, declineAbove: 20 };
    expect(assessFraud(context(), [always('custom', 10)], thresholds).decision).toBe('approve');
    expect(assessFraud(context(), [always('custom', 11)], thresholds).decision).toBe('review');
    expect(assessFraud(context(), [always('custom', 21)], thresholds).decision).toBe('decline');
  });

  it('uses only the rules it is given, and skips those that do not fire', () => {
    expect(assessFraud(context({ card: { ...VISA, number: '4000000000000259' } }), [])).toEqual({ score: 0, decision: 'approve', rules: [] });
    const never: FraudRule = { id: 'never', weight: 99, reason: 'never', fires: () => false };
    expect(assessFraud(context(), [never, always('b', 55)])).toEqual({ score: 55, decision: 'review', rules: [{ id: 'b', weight: 55, reason: 'b fired' }] });
  });

  it('keeps every score within 0-100 and the decision in step with the thresholds, whatever fires', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 150 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (weights, a, b) => {
          const thresholds = { reviewAbove: Math.min(a, b), declineAbove: Math.max(a, b) };
          const { score, decision } = assessFraud(context(), weights.map((w, i) => always(`r${i}`, w)), thresholds);
          const expected = score > thresholds.declineAbove ? 'decline' : score > thresholds.reviewAbove ? 'review' : 'approve';
          return score >= 0 && score <= 100 && decision === expected;
        },
      ),
    );
  });

  it('hands each rule the context it was given', () => {
    const seen: FraudContext[] = [];
    const spy: FraudRule = { id: 'spy', weight: 1, reason: 'spy', fires: (c) => (seen.push(c), false) };
    const ctx = context({ amount: 4_242 });
    assessFraud(ctx, [spy]);
    expect(seen).toEqual([ctx]);
  });

  it('defaults to review above 29 and decline above 70', () => {
    expect(DEFAULT_FRAUD_THRESHOLDS).toEqual({ reviewAbove: 29, declineAbove: 70 });
  });
});

describe('fraudAssessmentView', () => {
  it('shows a payment scored before rules had weights with the default rule’s weight and reason', () => {
    expect(fraudAssessmentView({ score: 15, decision: 'approve', rules: ['large_amount', 'gone_rule'] })).toEqual({
      score: 15,
      decision: 'approve',
      rules: [
        { id: 'large_amount', weight: 15, reason: 'The amount is large.' },
        { id: 'gone_rule', weight: 0, reason: '' },
      ],
    });
  });
});

describe('the block list’s values', () => {
  it('compare emails case-insensitively and IP addresses in one spelling, whatever the caller wrote', () => {
    expect(blockListValue('email', ' Tester@Example.COM ')).toBe('tester@example.com');
    expect(blockListValue('card_fingerprint', 'pQ3x8KfLz0aB7mN2cR5tYw')).toBe('pQ3x8KfLz0aB7mN2cR5tYw');
    expect(blockListValue('ip', '2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(blockListValue('ip', '2001:db8::1')).toBe('2001:db8::1');
    expect(canonicalIp('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalIp('::FFFF:c633:6407')).toBe('198.51.100.7');
    expect(canonicalIp('198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalIp('::1')).toBe('::1');
  });

  it('give every spelling of one IPv6 address the same value (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16).padStart(4, '0').toUpperCase()).join(':');
        const short = groups.map((g) => g.toString(16)).join(':');
        return canonicalIp(full) === canonicalIp(short);
      }),
    );
  });
});
