import { errors } from './errors.ts';

export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb', 'unionpay', 'unknown'] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

/** A card as it arrives in a request. Lives only in memory for one request. */
export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvv: string;
  holderName?: string | undefined;
}

/** A card after validation: the normalised number and its brand. */
export interface ValidCard extends CardInput {
  number: string;
  brand: CardBrand;
}

/** What is stored and shown of a card: never the number or the CVV. */
export interface CardSummary {
  token: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  fingerprint: string;
  holderName: string | null;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const BRAND_RULES: ReadonlyArray<{ brand: CardBrand; test: (n: string) => boolean; lengths: number[] }> = [
  { brand: 'amex', test: (n) => /^3[47]/.test(n), lengths: [15] },
  { brand: 'visa', test: (n) => n.startsWith('4'), lengths: [13, 16, 19] },
  {
    brand: 'mastercard',
    test: (n) => /^5[1-5]/.test(n) || inRange(n, 6, 222100, 272099),
    lengths: [16],
  },
  { brand: 'discover', test: (n) => /^(6011|65|64[4-9])/.test(n), lengths: [16, 19] },
  { brand: 'diners', test: (n) => /^(36|30[0-5]|3095|38|39)/.test(n), lengths: [14, 16, 19] },
  { brand: 'jcb', test: (n) => inRange(n, 4, 3528, 3589), lengths: [16, 17, 18, 19] },
  { brand: 'unionpay', test: (n) => n.startsWith('62'), lengths: [16, 17, 18, 19] },
];

function inRange(n: string, prefixLength: number, low: number, high: number): boolean {
  const prefix = Number(n.slice(0, prefixLength));
  return n.length >= prefixLength && prefix >= low && prefix <= high;
}

export function detectBrand(digits: string): CardBrand {
  return BRAND_RULES.find((rule) => rule.test(digits))?.brand ?? 'unknown';
}

/** Spaces and dashes are ignored, as on a printed card. */
export function normaliseCardNumber(raw: string): string {
  return raw.replace(/[\s-]/g, '');
}

/**
 * Validates a card as a real acquirer would: digits only, 12-19 long, Luhn, a length its brand
 * issues, an expiry month not in the past, and a CVV of 3 digits (4 for American Express).
 */
export function validateCard(input: CardInput, now: Date): ValidCard {
  const number = normaliseCardNumber(input.number);
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) throw errors.invalidCardNumber();
  const brand = detectBrand(number);
  const rule = BRAND_RULES.find((r) => r.brand === brand);
  if (rule && !rule.lengths.includes(number.length)) throw errors.invalidCardNumber();

  if (!Number.isInteger(input.expMonth) || input.expMonth < 1 || input.expMonth > 12) {
    throw errors.invalidExpiry('card.exp_month');
  }
  if (!Number.isInteger(input.expYear) || input.expYear < 2000 || input.expYear > 2100) {
    throw errors.invalidExpiry('card.exp_year');
  }
  const currentYear = now.getUTCFullYear();
  const currentMonth = now.getUTCMonth() + 1;
  if (input.expYear < currentYear) throw errors.invalidExpiry('card.exp_year');
  if (input.expYear === currentYear && input.expMonth < currentMonth) throw errors.invalidExpiry('card.exp_month');
  if (input.expYear > currentYear + 20) throw errors.invalidExpiry('card.exp_year');

  const cvvLength = brand === 'amex' ? 4 : 3;
  if (!new RegExp(`^\\d{${cvvLength}}$`).test(input.cvv)) throw errors.invalidCvv();

  return { ...input, number, brand };
}

export function lastFour(card: ValidCard): string {
  return card.number.slice(-4);
}

/**
 * Digit runs that could be written card numbers: digits with at most three separators between any
 * two of them (spaces, tabs, dots, dashes, slashes, underscores...: anything but a letter or a
 * digit), found in the text's NFKC form, so full-width and other compatibility digits count too.
 * Each run comes with its digit groups (the digits between separators).
 */
function digitRuns(text: string): Array<{ start: number; end: number; groups: string[] }> {
  const runs: Array<{ start: number; end: number; groups: string[] }> = [];
  for (const match of text.matchAll(/(?<!\p{N})\d(?:[^\p{L}\p{N}]{0,3}\d)*(?!\p{N})/gu)) {
    const groups = match[0].split(/[^\d]+/).filter((g) => g !== '');
    runs.push({ start: match.index, end: match.index + match[0].length, groups });
  }
  return runs;
}

/** A number a card network issues: a known brand's prefix and length, and Luhn (dates and order numbers rarely are). */
function isCardNumber(digits: string): boolean {
  const rule = BRAND_RULES.find((r) => r.test(digits));
  return rule !== undefined && rule.lengths.includes(digits.length) && luhnValid(digits);
}

/**
 * Whether some consecutive digit groups of a run make a card number (a brand's prefix and length, Luhn): a card number as
 * people write it (4242 4242 4242 4242, 4000.0566.5566.5556, or a bare run), also beside other
 * numbers in the same run. Group-aligned, so an arbitrary slice of a long number is not a card.
 */
function holdsCard(groups: string[]): boolean {
  for (let first = 0; first < groups.length; first++) {
    let digits = '';
    for (let last = first; last < groups.length && digits.length < 19; last++) {
      digits += groups[last];
      if (digits.length >= 12 && digits.length <= 19 && isCardNumber(digits)) return true;
    }
  }
  return false;
}

/**
 * The one card-number detector. Free text that is stored and shown back (descriptions, names,
 * metadata keys and values, e-mails, URLs) must hold no card number: `containsCardNumber` refuses
 * it; logs and error messages pass through `redactDigitRuns`, which is stricter (any run of 12 or
 * more digits goes, Luhn or not).
 */
export function containsCardNumber(text: string): boolean {
  return digitRuns(text.normalize('NFKC')).some((run) => holdsCard(run.groups));
}

/** The text (in NFKC form) with every run of 12 or more digits replaced by `replacement`. */
export function redactDigitRuns(text: string, replacement: string): string {
  const normal = text.normalize('NFKC');
  let out = '';
  let from = 0;
  for (const run of digitRuns(normal)) {
    if (run.groups.join('').length < 12) continue;
    out += normal.slice(from, run.start) + replacement;
    from = run.end;
  }
  return out + normal.slice(from);
}
