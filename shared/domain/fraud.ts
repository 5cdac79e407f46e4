import type { ValidCard } from './cards.ts';
import type { Customer } from './payment.ts';
import type { Currency } from './money.ts';

export const FRAUD_DECISIONS = ['approve', 'review', 'decline'] as const;
export type FraudDecision = (typeof FRAUD_DECISIONS)[number];

export interface FraudAssessment {
  score: number;
  decision: FraudDecision;
  /** The ids of the rules that fired, in the order they were evaluated. */
  rules: string[];
}

/** What a rule may look at. The card lives only in memory, for the length of one request. */
export interface FraudContext {
  amount: number;
  currency: Currency;
  card: ValidCard;
  customer: Customer | null;
  now: Date;
}

/** One explainable rule: it fires with a weight, or it does not. */
export interface FraudRule {
  id: string;
  weight: number;
  fires(context: FraudContext): boolean;
}

export const DECLINE_ABOVE = 70;
export const REVIEW_ABOVE = 50;

/** Card numbers reported as compromised. The test card 4000000000000259 is the documented one. */
const COMPROMISED_CARDS = new Set(['4000000000000259']);
const DISPOSABLE_EMAIL_DOMAINS = new Set(['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'tempmail.com', 'yopmail.com']);

/** Major-unit thresholds are the same for each supported currency: a deliberate simplification. */
const LARGE_AMOUNT = 100_000;
const VERY_LARGE_AMOUNT = 1_000_000;

export const DEFAULT_FRAUD_RULES: readonly FraudRule[] = [
  { id: 'compromised_card', weight: 90, fires: (c) => COMPROMISED_CARDS.has(c.card.number) },
  { id: 'large_amount', weight: 15, fires: (c) => c.amount >= LARGE_AMOUNT && c.amount < VERY_LARGE_AMOUNT },
  { id: 'very_large_amount', weight: 35, fires: (c) => c.amount >= VERY_LARGE_AMOUNT },
  {
    id: 'card_expires_this_month',
    weight: 10,
    fires: (c) => c.card.expYear === c.now.getUTCFullYear() && c.card.expMonth === c.now.getUTCMonth() + 1,
  },
  {
    id: 'disposable_email',
    weight: 20,
    fires: (c) => {
      const domain = c.customer?.email?.split('@')[1]?.toLowerCase();
      return domain !== undefined && DISPOSABLE_EMAIL_DOMAINS.has(domain);
    },
  },
  { id: 'unknown_card_brand', weight: 10, fires: (c) => c.card.brand === 'unknown' },
];

/** A deterministic score 0-100: the sum of the weights of the rules that fired, capped at 100. */
export function assessFraud(context: FraudContext, rules: readonly FraudRule[] = DEFAULT_FRAUD_RULES): FraudAssessment {
  const fired = rules.filter((rule) => rule.fires(context));
  const score = Math.min(100, fired.reduce((sum, rule) => sum + rule.weight, 0));
  const decision: FraudDecision = score > DECLINE_ABOVE ? 'decline' : score > REVIEW_ABOVE ? 'review' : 'approve';
  return { score, decision, rules: fired.map((rule) => rule.id) };
}
