import type { ValidCard } from './cards.ts';
import type { Customer } from './payment.ts';
import type { Currency } from './money.ts';

export const FRAUD_DECISIONS = ['approve', 'review', 'decline'] as const;
export type FraudDecision = (typeof FRAUD_DECISIONS)[number];

/** A rule that fired, as the payment shows it: what it is, what it weighed, and why, in words. */
export interface FraudRuleHit {
  id: string;
  weight: number;
  reason: string;
}

export interface FraudAssessment {
  /** 0-100: the sum of the weights of the rules that fired, capped at 100. */
  score: number;
  decision: FraudDecision;
  /** The rules that fired, in the order they were evaluated. */
  rules: FraudRuleHit[];
}

/** The merchant's thresholds: a score above `reviewAbove` is reviewed, above `declineAbove` declined. */
export interface FraudThresholds {
  reviewAbove: number;
  declineAbove: number;
}

export const DEFAULT_FRAUD_THRESHOLDS: FraudThresholds = { reviewAbove: 29, declineAbove: 70 };

/** What the store counted of the earlier attempts in the last hour (this attempt not included). */
export interface FraudHistory {
  /** This card (by fingerprint) at this merchant. */
  card: { attempts: number; declines: number };
  /** The shopper's IP address at this merchant; null when the shopper's IP is not known (a server call without `customer.ip`). */
  ip: { attempts: number; declines: number; newCards: number; smallAmounts: number } | null;
  /** The merchant's approved payments in this payment's currency over the last week, and their amounts' total: its usual amount. */
  merchant: { payments: number; amountTotal: number };
}

export const NO_FRAUD_HISTORY: FraudHistory = { card: { attempts: 0, declines: 0 }, ip: null, merchant: { payments: 0, amountTotal: 0 } };

/** What a merchant put on its block list. */
export const BLOCK_LIST_TYPES = ['card_fingerprint', 'email', 'ip'] as const;
export type BlockListType = (typeof BLOCK_LIST_TYPES)[number];

/** A value on a merchant's block list: a payment naming it is declined (rule `block_list`). */
export interface BlockListEntry {
  id: string;
  merchantId: string;
  type: BlockListType;
  /** As compared: emails in lower case. */
  value: string;
  createdAt: string;
}

/**
 * An IP address in one spelling, so that a block-list entry and a counter match however a caller
 * wrote it: IPv6 compressed and in lower case (`2001:DB8:0:0::1` is `2001:db8::1`), an
 * IPv4-mapped IPv6 address as its IPv4 (`::ffff:1.2.3.4` is `1.2.3.4`). Not an address: as given.
 */
export function canonicalIp(ip: string): string {
  const trimmed = ip.trim();
  if (!trimmed.includes(':')) return trimmed;
  let canonical: string;
  try {
    canonical = new URL(`http://[${trimmed}]`).hostname.slice(1, -1);
  } catch {
    return trimmed.toLowerCase();
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** A value as the block list compares it: emails case-insensitively, IP addresses in one spelling (canonicalIp). */
export function blockListValue(type: BlockListType, value: string): string {
  if (type === 'ip') return canonicalIp(value);
  return type === 'card_fingerprint' ? value.trim() : value.trim().toLowerCase();
}

/** Thresholds a merchant may set: integers 0-100, the review threshold below the decline one (so some scores are reviewed). */
export function validThresholds(t: FraudThresholds): boolean {
  const inRange = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;
  return inRange(t.reviewAbove) && inRange(t.declineAbove) && t.reviewAbove < t.declineAbove;
}

/** What a rule may look at. The card lives only in memory, for the length of one request. */
export interface FraudContext {
  amount: number;
  currency: Currency;
  card: ValidCard;
  customer: Customer | null;
  /** The shopper's IP address, when known. */
  clientIp: string | null;
  now: Date;
  history: FraudHistory;
  /** What of this payment (its card, email or IP) is on the merchant's block list. */
  blocked: readonly BlockListType[];
}

/** One explainable rule: it fires with a weight, or it does not. */
export interface FraudRule {
  id: string;
  weight: number;
  reason: string;
  fires(context: FraudContext): boolean;
}

/** Card numbers reported as compromised. The test card 4000000000000259 is the documented one. */
const COMPROMISED_CARDS = new Set(['4000000000000259']);
const DISPOSABLE_EMAIL_DOMAINS = new Set(['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'tempmail.com', 'yopmail.com']);

/** Mail providers whose near misses (gmial.com, hotmal.com, yahooo.com) fake or mistyped customer emails use. */
const COMMON_EMAIL_DOMAINS = ['gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'icloud.com', 'aol.com', 'protonmail.com', 'gmx.com'];
/** Real domains one edit from a common one: not near misses. */
const REAL_EMAIL_DOMAINS = new Set([...COMMON_EMAIL_DOMAINS, 'mail.com', 'ymail.com', 'email.com', 'gmx.net', 'gmx.de', 'me.com', 'mac.com', 'msn.com', 'aim.com', 'proton.me', 'live.ca', 'live.fr']);

/** Edits from a to b (insert, delete, substitute, or swap two neighbours), as in a typo. */
function typoDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The common provider an email domain is one typo away from (`gmial.com`: `gmail.com`), or null. */
export function nearMissEmailDomain(domain: string): string | null {
  const lower = domain.toLowerCase();
  if (REAL_EMAIL_DOMAINS.has(lower)) return null;
  return COMMON_EMAIL_DOMAINS.find((common) => Math.abs(common.length - lower.length) <= 1 && typoDistance(lower, common) === 1) ?? null;
}

/** The limits of the velocity rules, over the last hour (the counters' window): configuration, with these defaults. */
export interface VelocityLimits {
  /** Earlier attempts with one card. */
  cardAttempts: number;
  /** Earlier declines of one card. */
  cardDeclines: number;
  /** Earlier attempts from one IP. */
  ipAttempts: number;
  /** Earlier declines from one IP. */
  ipDeclines: number;
  /** Earlier attempts from one IP with a card not seen in the hour before: card testing. */
  ipNewCards: number;
  /** Earlier small-amount attempts from one IP. */
  ipSmallAmounts: number;
  /** The merchant's approved payments in the currency over the last week before its average is its usual amount. */
  usualAmountPayments: number;
  /** How many times the merchant's average an amount must exceed to be far above its usual. */
  usualAmountMultiple: number;
}

/** Below this many minor units an amount is small: card testers try small amounts first. */
export const SMALL_AMOUNT = 500;

/**
 * A shopper retrying a declined card at checkout (5 attempts an intent) from one IP, or an office
 * sharing one IP, trips the card and IP counts, but those rules weigh 70 together at most: they
 * review, and the issuer's own answer stands. Only many new cards from one IP (card testing),
 * or small amounts piling up beside them, add up to a decline.
 */
export const DEFAULT_VELOCITY_LIMITS: VelocityLimits = {
  cardAttempts: 5,
  cardDeclines: 2,
  ipAttempts: 30,
  ipDeclines: 10,
  ipNewCards: 4,
  ipSmallAmounts: 3,
  usualAmountPayments: 20,
  usualAmountMultiple: 10,
};

/** Major-unit thresholds are the same for each supported currency: a deliberate simplification. */
const LARGE_AMOUNT = 100_000;
const VERY_LARGE_AMOUNT = 1_000_000;

/**
 * The rules, weighed so that every test card of API.md keeps its documented answer: an ordinary
 * payment scores 0, and no rule but the compromised card declines on its own. Velocity rules read
 * the store's counters (shared/adapters/dynamodb/fraud-records.ts); IP rules need the shopper's IP.
 */
export function fraudRules(limits: VelocityLimits = DEFAULT_VELOCITY_LIMITS): readonly FraudRule[] {
  const newCard = (c: FraudContext) => c.history.card.attempts === 0;
  return [
    { id: 'block_list', weight: 100, reason: "The card, email or IP address is on the merchant's block list.", fires: (c) => c.blocked.length > 0 },
    { id: 'compromised_card', weight: 90, reason: 'The card number is reported as compromised.', fires: (c) => COMPROMISED_CARDS.has(c.card.number) },
    {
      id: 'ip_card_testing',
      weight: 45,
      reason: `More than ${limits.ipNewCards} different cards were tried from this IP address in the last hour.`,
      fires: (c) => newCard(c) && (c.history.ip?.newCards ?? 0) >= limits.ipNewCards,
    },
    {
      id: 'card_recent_declines',
      weight: 30,
      reason: `This card was declined ${limits.cardDeclines} or more times in the last hour.`,
      fires: (c) => c.history.card.declines >= limits.cardDeclines,
    },
    {
      id: 'small_amount_burst',
      weight: 30,
      reason: `A small amount after ${limits.ipSmallAmounts} or more small amounts from this IP address in the last hour.`,
      fires: (c) => c.amount < SMALL_AMOUNT && (c.history.ip?.smallAmounts ?? 0) >= limits.ipSmallAmounts,
    },
    {
      id: 'card_velocity',
      weight: 15,
      reason: `This card was tried ${limits.cardAttempts} or more times in the last hour.`,
      fires: (c) => c.history.card.attempts >= limits.cardAttempts,
    },
    {
      id: 'ip_declines',
      weight: 15,
      reason: `${limits.ipDeclines} or more payments from this IP address were declined in the last hour.`,
      fires: (c) => (c.history.ip?.declines ?? 0) >= limits.ipDeclines,
    },
    {
      id: 'ip_velocity',
      weight: 10,
      reason: `${limits.ipAttempts} or more payments came from this IP address in the last hour.`,
      fires: (c) => (c.history.ip?.attempts ?? 0) >= limits.ipAttempts,
    },
    {
      id: 'amount_far_above_usual',
      weight: 30,
      reason: `The amount is more than ${limits.usualAmountMultiple} times the merchant's average in this currency over the last week.`,
      fires: (c) => {
        const { payments, amountTotal } = c.history.merchant;
        return payments >= limits.usualAmountPayments && c.amount * payments > limits.usualAmountMultiple * amountTotal;
      },
    },
    { id: 'large_amount', weight: 15, reason: 'The amount is large.', fires: (c) => c.amount >= LARGE_AMOUNT && c.amount < VERY_LARGE_AMOUNT },
    { id: 'very_large_amount', weight: 35, reason: 'The amount is very large.', fires: (c) => c.amount >= VERY_LARGE_AMOUNT },
    {
      id: 'card_expires_this_month',
      weight: 10,
      reason: 'The card expires this month.',
      fires: (c) => c.card.expYear === c.now.getUTCFullYear() && c.card.expMonth === c.now.getUTCMonth() + 1,
    },
    {
      id: 'disposable_email',
      weight: 20,
      reason: "The customer's email address is at a disposable email provider.",
      fires: (c) => {
        const domain = c.customer?.email?.split('@')[1]?.toLowerCase();
        return domain !== undefined && DISPOSABLE_EMAIL_DOMAINS.has(domain);
      },
    },
    {
      id: 'email_domain_near_miss',
      weight: 20,
      reason: "The customer's email domain is one typo away from a common email provider's (gmial.com for gmail.com): an address that does not fit a real customer.",
      fires: (c) => {
        const domain = c.customer?.email?.split('@')[1];
        return domain !== undefined && nearMissEmailDomain(domain) !== null;
      },
    },
    { id: 'unknown_card_brand', weight: 10, reason: 'The card is of no known brand.', fires: (c) => c.card.brand === 'unknown' },
  ];
}

export const DEFAULT_FRAUD_RULES: readonly FraudRule[] = fraudRules();

/** A deterministic score 0-100: the sum of the weights of the rules that fired, capped at 100; decided at the merchant's thresholds. */
export function assessFraud(
  context: FraudContext,
  rules: readonly FraudRule[] = DEFAULT_FRAUD_RULES,
  thresholds: FraudThresholds = DEFAULT_FRAUD_THRESHOLDS,
): FraudAssessment {
  const fired = rules.filter((rule) => rule.fires(context));
  const score = Math.max(0, Math.min(100, fired.reduce((sum, rule) => sum + rule.weight, 0)));
  const decision: FraudDecision = score > thresholds.declineAbove ? 'decline' : score > thresholds.reviewAbove ? 'review' : 'approve';
  return { score, decision, rules: fired.map(({ id, weight, reason }) => ({ id, weight, reason })) };
}

/**
 * A stored assessment as the API shows it. Payments scored before rules carried their weight and
 * reason hold bare rule ids: those read with the default rule's weight and reason.
 */
export function fraudAssessmentView(stored: { score: number; decision: FraudDecision; rules: ReadonlyArray<FraudRuleHit | string> }): FraudAssessment {
  return {
    score: stored.score,
    decision: stored.decision,
    rules: stored.rules.map((rule) => {
      if (typeof rule !== 'string') return rule;
      const known = DEFAULT_FRAUD_RULES.find((r) => r.id === rule);
      return { id: rule, weight: known?.weight ?? 0, reason: known?.reason ?? '' };
    }),
  };
}
