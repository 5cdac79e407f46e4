/**
 * The one card-number detector (shared/domain/cards.ts): however a card number is written into
 * free text (dots, slashes, tabs, doubled spaces, full-width digits, glued to words or other
 * numbers), it is refused before it is stored, and redacted from logs and error messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsCardNumber, luhnValid } from '../../shared/domain/cards.ts';
import { CreatePaymentIntentBody, CreateWebhookEndpointBody, CustomerBody, NewPaymentBody } from '../../shared/http/schemas.ts';
import { describeFirstIssue } from '../../shared/http/validation-problems.ts';
import { redact } from '../../shared/logger.ts';

const TEST_CARDS = ['4000056655665556', '4242424242424242', '5555555555554444', '378282246310005', '6011111111111117', '3566002020360505', '4000000000000002'];
const toFullWidth = (text: string) => text.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));

describe('the card-number detector', () => {
  it.each([
    ['dots', '4000.0566.5566.5556'],
    ['slashes', '4000/0566/5566/5556'],
    ['doubled spaces', '4000  0566  5566  5556'],
    ['tabs', '4000\t0566\t5566\t5556'],
    ['full-width digits', toFullWidth('4000 0566 5566 5556')],
    ['a comma and a space', 'ref 4000, 0566, 5566, 5556'],
    ['a number before it in the same run', 'qty 12 4000 0566 5566 5556'],
    ['underscores', '4000_0566_5566_5556'],
  ])('finds a card written with %s', (_, text) => {
    expect(containsCardNumber(text)).toBe(true);
    expect(redact(`note: ${text}`)).not.toMatch(/\d{4}\D{0,2}\d{4}\D{0,2}\d{4}/);
  });

  it('finds any test card, whatever separators and text surround it (property)', () => {
    const separator = fc.constantFrom('', ' ', '  ', '-', '.', '/', '\t', '_', ' - ');
    const word = fc.stringMatching(/^[A-Za-z ]{0,12}$/);
    fc.assert(
      fc.property(fc.constantFrom(...TEST_CARDS), separator, word, word, fc.boolean(), (card, sep, before, after, wide) => {
        const written = card.match(/.{1,4}/g)!.join(sep);
        const text = `${before}${wide ? toFullWidth(written) : written}${after}`;
        expect(containsCardNumber(text), JSON.stringify(text)).toBe(true);
        // No digit of the card's middle survives redaction.
        expect(redact(text).normalize('NFKC').replace(/\D/g, ''), JSON.stringify(text)).not.toContain(card.slice(4, 12));
      }),
      { numRuns: 500 },
    );
  });

  it('leaves ordinary text alone: dates, times, order numbers, phone numbers, amounts', () => {
    for (const text of [
      'Order #12345 of 2026-12-01 10:30',
      'Delivery 2026-12-01, 14:00-16:00, phone +212 600 000 000',
      'Invoice 2026/0042, total 1,234.56 USD',
      'SKU 123-456-789',
      '4111111111111112',
      'Tracking 1Z999AA10123456784',
    ]) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });

  it('finds no card in random numbers that fail Luhn (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{11,18}$/), (digits) => {
        fc.pre(!luhnValid(digits));
        expect(containsCardNumber(digits)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('what is checked for card numbers', () => {
  const card = '4000.0566.5566.5556';
  const payment = { amount: 100, currency: 'USD', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvv: '123' } };

  it('refuses one in a description, a customer name or e-mail, metadata, intent URLs and e-mail, and a webhook URL', () => {
    expect(NewPaymentBody.safeParse({ ...payment, description: `paid with ${card}` }).success).toBe(false);
    expect(CustomerBody.safeParse({ name: `J ${card}` }).success).toBe(false);
    expect(CustomerBody.safeParse({ email: '4000056655665556@example.com' }).success).toBe(false);
    expect(NewPaymentBody.safeParse({ ...payment, metadata: { note: card } }).success).toBe(false);
    const intent = { amount: 100, currency: 'USD', success_url: 'https://shop.example/done' };
    expect(CreatePaymentIntentBody.safeParse(intent).success).toBe(true);
    expect(CreatePaymentIntentBody.safeParse({ ...intent, success_url: 'https://shop.example/done?c=4000056655665556' }).success).toBe(false);
    expect(CreatePaymentIntentBody.safeParse({ ...intent, customer_email: '4000-0566-5566-5556@example.com' }).success).toBe(false);
    expect(CreateWebhookEndpointBody.safeParse({ url: 'https://shop.example/hooks/4000056655665556' }).success).toBe(false);
    expect(CreateWebhookEndpointBody.safeParse({ url: 'https://shop.example/hooks' }).success).toBe(true);
  });

  it('never echoes an unknown parameter name that holds a card number, nor a long one in full', () => {
    const body = { ...payment, ['4000056655665556']: 1 };
    const problem = describeFirstIssue(NewPaymentBody.safeParse(body).error!, body);
    expect(JSON.stringify(problem)).not.toContain('4000056655665556');
    const long = { ...payment, [`x${'a'.repeat(200)}`]: 1 };
    expect(describeFirstIssue(NewPaymentBody.safeParse(long).error!, long).message.length).toBeLessThan(80);
  });

  it('redacts secret keys wherever they start, also inside a word', () => {
    expect(redact('xsk_test_abcdefghijklmnopqrstuvwxyz012345')).not.toContain('abcdefghij');
    expect(redact('id=whsec_c2VjcmV0c2VjcmV0')).not.toContain('c2VjcmV0');
  });
});
