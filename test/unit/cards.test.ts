import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectBrand, luhnValid, normaliseCardNumber, validateCard, type CardInput } from '../../shared/domain/cards.ts';
import { luhnCheckDigit } from '../support/cards.ts';
import { apiErrorFrom } from './fixtures.ts';

/** A Luhn-valid number of `length` digits starting with `prefix`. */
function luhnNumber(prefix: string, length: number): string {
  const payload = prefix.padEnd(length - 1, '0');
  return payload + luhnCheckDigit(payload);
}

const NOW = new Date('2026-11-24T10:00:00.000Z');

function card(overrides: Partial<CardInput> = {}): CardInput {
  return { number: '4242424242424242', expMonth: 12, expYear: 2030, cvv: '123', ...overrides };
}

describe('luhnValid', () => {
  it.each(['4242424242424242', '5555555555554444', '378282246310005', '79927398713', '4000000000000259'])(
    'accepts the valid number %s',
    (number) => {
      expect(luhnValid(number)).toBe(true);
    },
  );

  it.each(['4242424242424241', '5555555555554440', '79927398710', '1234567812345678'])('rejects the invalid number %s', (number) => {
    expect(luhnValid(number)).toBe(false);
  });

  it('accepts any digit string followed by its check digit, and rejects it once any single digit changes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (payload, positionSeed, delta) => {
          const number = payload + luhnCheckDigit(payload);
          expect(luhnValid(number)).toBe(true);

          const position = positionSeed % number.length;
          const changed = (Number(number[position]) + delta) % 10;
          const mutated = number.slice(0, position) + String(changed) + number.slice(position + 1);
          expect(luhnValid(mutated)).toBe(false);
        },
      ),
    );
  });
});

describe('detectBrand', () => {
  it.each([
    ['4242424242424242', 'visa'],
    ['4000056655665556', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['5105105105105100', 'mastercard'],
    ['5200828282828210', 'mastercard'],
    ['2221000000000009', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['2720990000000000', 'mastercard'],
    ['378282246310005', 'amex'],
    ['371449635398431', 'amex'],
    ['340000000000009', 'amex'],
    ['6011111111111117', 'discover'],
    ['6445644564456445', 'discover'],
    ['6500000000000002', 'discover'],
    ['30569309025904', 'diners'],
    ['36227206271667', 'diners'],
    ['38520000023237', 'diners'],
    ['3095000000000000', 'diners'],
    ['3528000000000000', 'jcb'],
    ['3566002020360505', 'jcb'],
    ['3589000000000000', 'jcb'],
    ['6200000000000005', 'unionpay'],
    ['6250941006528599', 'unionpay'],
  ])('recognises %s as %s', (number, brand) => {
    expect(detectBrand(number)).toBe(brand);
  });

  it.each([
    ['2220990000000000', 'just below the Mastercard 2-series'],
    ['2721000000000000', 'just above the Mastercard 2-series'],
    ['5000000000000000', 'a 50 prefix'],
    ['5600000000000000', 'a 56 prefix'],
    ['3527000000000000', 'just below the JCB range'],
    ['3590000000000000', 'just above the JCB range'],
    ['6439000000000000', 'a 6439 prefix'],
    ['9999999999999995', 'a 9 prefix'],
    ['1234567812345670', 'a 1 prefix'],
  ])('calls %s (%s) unknown', (number) => {
    expect(detectBrand(number)).toBe('unknown');
  });
});

describe('normaliseCardNumber', () => {
  it('removes spaces and dashes, as printed on a card', () => {
    expect(normaliseCardNumber('4242 4242-4242  4242')).toBe('4242424242424242');
  });

  it('leaves other characters for validation to reject', () => {
    expect(normaliseCardNumber('4242a4242')).toBe('4242a4242');
  });
});

describe('validateCard', () => {
  it('returns the normalised number and the brand, and keeps the other fields', () => {
    const valid = validateCard(card({ number: '4242 4242-4242 4242', holderName: 'Jane Doe' }), NOW);
    expect(valid).toEqual({
      number: '4242424242424242',
      expMonth: 12,
      expYear: 2030,
      cvv: '123',
      holderName: 'Jane Doe',
      brand: 'visa',
    });
  });

  describe('the card number', () => {
    it.each([
      ['11 digits, even when Luhn-valid', '79927398713'],
      ['20 digits, even when Luhn-valid', luhnNumber('9', 20)],
      ['a Luhn failure', '4242424242424241'],
      ['a letter', '4242a24242424242'],
      ['an empty number', ''],
      ['a Visa of 15 digits', luhnNumber('4', 15)],
      ['a Visa of 14 digits', luhnNumber('4', 14)],
      ['an American Express of 16 digits', luhnNumber('37', 16)],
      ['a Mastercard of 15 digits', luhnNumber('55', 15)],
      ['a Diners of 15 digits', luhnNumber('36', 15)],
    ])('is rejected with invalid_card_number on card.number for %s', (_label, number) => {
      const error = apiErrorFrom(() => validateCard(card({ number }), NOW));
      expect(error.status).toBe(400);
      expect(error.code).toBe('invalid_card_number');
      expect(error.details.param).toBe('card.number');
    });

    it.each([
      ['a 12-digit number of no known brand', luhnNumber('1', 12), 'unknown'],
      ['a 19-digit number of no known brand', luhnNumber('9', 19), 'unknown'],
      ['a 13-digit Visa', luhnNumber('4', 13), 'visa'],
      ['a 19-digit Visa', luhnNumber('4', 19), 'visa'],
      ['a 15-digit American Express', '378282246310005', 'amex'],
      ['a 14-digit Diners', '30569309025904', 'diners'],
    ])('accepts %s', (_label, number, brand) => {
      const cvv = brand === 'amex' ? '1234' : '123';
      expect(validateCard(card({ number, cvv }), NOW).brand).toBe(brand);
    });
  });

  describe('the expiry', () => {
    it('accepts a card expiring in the current month', () => {
      expect(() => validateCard(card({ expMonth: 11, expYear: 2026 }), NOW)).not.toThrow();
    });

    it('accepts a card expiring this month until the last millisecond of the month (UTC)', () => {
      expect(() => validateCard(card({ expMonth: 11, expYear: 2026 }), new Date('2026-11-30T23:59:59.999Z'))).not.toThrow();
    });

    it('rejects a card that expired last month', () => {
      const error = apiErrorFrom(() => validateCard(card({ expMonth: 10, expYear: 2026 }), NOW));
      expect(error.code).toBe('invalid_expiry');
      expect(error.details.param).toMatch(/^card\.exp_(month|year)$/);
    });

    it('rejects a card of this month once the next month has begun (UTC)', () => {
      const error = apiErrorFrom(() => validateCard(card({ expMonth: 11, expYear: 2026 }), new Date('2026-12-01T00:00:00.000Z')));
      expect(error.code).toBe('invalid_expiry');
    });

    it('rejects a card that expired last year, on card.exp_year, even in a later month', () => {
      const error = apiErrorFrom(() => validateCard(card({ expMonth: 12, expYear: 2025 }), NOW));
      expect(error.code).toBe('invalid_expiry');
      expect(error.details.param).toBe('card.exp_year');
    });

    it('accepts a card expiring 20 years from now and rejects one expiring 21 years from now', () => {
      expect(() => validateCard(card({ expYear: 2046 }), NOW)).not.toThrow();
      const error = apiErrorFrom(() => validateCard(card({ expYear: 2047 }), NOW));
      expect(error.code).toBe('invalid_expiry');
      expect(error.details.param).toBe('card.exp_year');
    });

    it.each([0, 13, -1, 1.5, Number.NaN])('rejects the month %s on card.exp_month', (expMonth) => {
      const error = apiErrorFrom(() => validateCard(card({ expMonth }), NOW));
      expect(error.status).toBe(400);
      expect(error.code).toBe('invalid_expiry');
      expect(error.details.param).toBe('card.exp_month');
    });

    it.each([1999, 2101, 2030.5])('rejects the year %s on card.exp_year', (expYear) => {
      const error = apiErrorFrom(() => validateCard(card({ expYear }), NOW));
      expect(error.code).toBe('invalid_expiry');
      expect(error.details.param).toBe('card.exp_year');
    });
  });

  describe('the CVV', () => {
    it.each(['12', '1234', 'abc', '12a', ''])('rejects %j for a Visa with invalid_cvv on card.cvv', (cvv) => {
      const error = apiErrorFrom(() => validateCard(card({ cvv }), NOW));
      expect(error.status).toBe(400);
      expect(error.code).toBe('invalid_cvv');
      expect(error.details.param).toBe('card.cvv');
    });

    it('requires 4 digits for American Express', () => {
      const amex = { number: '378282246310005' };
      expect(validateCard(card({ ...amex, cvv: '1234' }), NOW).brand).toBe('amex');
      const error = apiErrorFrom(() => validateCard(card({ ...amex, cvv: '123' }), NOW));
      expect(error.code).toBe('invalid_cvv');
      expect(error.details.param).toBe('card.cvv');
    });
  });

  it('reports the card number before the expiry and the expiry before the CVV', () => {
    expect(apiErrorFrom(() => validateCard(card({ number: '4242424242424241', expYear: 2020, cvv: 'x' }), NOW)).code).toBe(
      'invalid_card_number',
    );
    expect(apiErrorFrom(() => validateCard(card({ expYear: 2020, cvv: 'x' }), NOW)).code).toBe('invalid_expiry');
  });
});
