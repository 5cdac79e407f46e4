import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CaptureBody, ListDeliveriesQuery, ListTransactionsQuery, NewPaymentBody, RefundBody } from '../../shared/http/schemas.ts';
import { describeFirstIssue, type FieldProblem } from '../../shared/http/validation-problems.ts';

const CARD = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2030, cvv: '123' };
const VALID = { amount: 9999, currency: 'usd', card: CARD };

/** The contract's description of the first problem in `input`; fails the test if `input` is valid. */
function problemWith(schema: z.ZodType, input: unknown): FieldProblem {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be invalid`);
  return describeFirstIssue(result.error, input);
}

/** A copy of `object` without `key`. */
function without<T extends object>(object: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...object };
  delete copy[key];
  return copy;
}

function metadataOf(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`key_${i}`, 'value']));
}

describe('NewPaymentBody', () => {
  it('parses a full valid body into domain names, upper-casing the currency', () => {
    const parsed = NewPaymentBody.parse({
      amount: 9999,
      currency: 'usd',
      card: { ...CARD, cardholder_name: '  Jane Doe ' },
      customer: { email: 'jane@example.com', name: 'Jane Doe', phone: '+212600000000' },
      description: 'Order #12345',
      metadata: { order_id: '12345' },
    });
    expect(parsed).toEqual({
      amount: 9999,
      currency: 'USD',
      card: { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2030, cvv: '123', holderName: 'Jane Doe' },
      customer: { email: 'jane@example.com', name: 'Jane Doe', phone: '+212600000000', ip: null },
      description: 'Order #12345',
      metadata: { order_id: '12345' },
    });
  });

  it('prefers holder_name over cardholder_name and leaves holderName undefined without either', () => {
    expect(NewPaymentBody.parse({ ...VALID, card: { ...CARD, holder_name: 'A', cardholder_name: 'B' } }).card.holderName).toBe('A');
    expect(NewPaymentBody.parse(VALID).card.holderName).toBeUndefined();
  });

  it.each(['USD', 'eur', 'Mad'])('accepts the currency %s', (currency) => {
    expect(NewPaymentBody.parse({ ...VALID, currency }).currency).toBe(currency.toUpperCase());
  });

  it('fills missing customer fields with null', () => {
    expect(NewPaymentBody.parse({ ...VALID, customer: { email: 'a@b.co' } }).customer).toEqual({ email: 'a@b.co', name: null, phone: null, ip: null });
  });

  it('takes the shopper IP as customer.ip, IPv4 or IPv6, and nothing else there', () => {
    expect(NewPaymentBody.parse({ ...VALID, customer: { ip: '203.0.113.7' } }).customer?.ip).toBe('203.0.113.7');
    expect(NewPaymentBody.parse({ ...VALID, customer: { ip: '2001:db8::1' } }).customer?.ip).toBe('2001:db8::1');
    expect(NewPaymentBody.safeParse({ ...VALID, customer: { ip: 'localhost' } }).success).toBe(false);
  });

  it('accepts the amount bounds 1 and 99999999', () => {
    expect(NewPaymentBody.parse({ ...VALID, amount: 1 }).amount).toBe(1);
    expect(NewPaymentBody.parse({ ...VALID, amount: 99_999_999 }).amount).toBe(99_999_999);
  });

  it('accepts metadata of 50 keys of 40 characters with values of 500 characters', () => {
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [String(i).padStart(40, 'k'), 'v'.repeat(500)]));
    expect(NewPaymentBody.safeParse({ ...VALID, metadata }).success).toBe(true);
  });
});

describe('describeFirstIssue', () => {
  it.each([
    ['a fraction', 1.5],
    ['zero', 0],
    ['a negative amount', -5],
    ['100000000', 100_000_000],
    ['a string', '10'],
    ['null', null],
  ])('answers invalid_amount on amount for %s, not "is required"', (_label, amount) => {
    const problem = problemWith(NewPaymentBody, { ...VALID, amount });
    expect(problem.code).toBe('invalid_amount');
    expect(problem.param).toBe('amount');
    expect(problem.message).not.toMatch(/required/);
  });

  it('answers validation_error "amount is required." when the amount is missing', () => {
    expect(problemWith(NewPaymentBody, without(VALID, 'amount'))).toEqual({ code: 'validation_error', param: 'amount', message: 'amount is required.' });
  });

  it('answers validation_error "card is required." when the card is missing', () => {
    expect(problemWith(NewPaymentBody, without(VALID, 'card'))).toEqual({ code: 'validation_error', param: 'card', message: 'card is required.' });
  });

  it.each(['GBP', 'US', 'USDT', '', 840])('answers unsupported_currency on currency for %j', (currency) => {
    const problem = problemWith(NewPaymentBody, { ...VALID, currency });
    expect(problem.code).toBe('unsupported_currency');
    expect(problem.param).toBe('currency');
  });

  it.each([
    ['card.number "abc"', { number: 'abc' }, 'invalid_card_number', 'card.number'],
    ['card.number of 41 characters', { number: '4'.repeat(41) }, 'invalid_card_number', 'card.number'],
    ['card.exp_month 13', { exp_month: 13 }, 'invalid_expiry', 'card.exp_month'],
    ['card.exp_month 0', { exp_month: 0 }, 'invalid_expiry', 'card.exp_month'],
    ['card.exp_year 1999', { exp_year: 1999 }, 'invalid_expiry', 'card.exp_year'],
    ['card.exp_year "2030"', { exp_year: '2030' }, 'invalid_expiry', 'card.exp_year'],
    ['card.cvv "12"', { cvv: '12' }, 'invalid_cvv', 'card.cvv'],
    ['card.cvv "12345"', { cvv: '12345' }, 'invalid_cvv', 'card.cvv'],
    ['card.cvv 123 as a number', { cvv: 123 }, 'invalid_cvv', 'card.cvv'],
  ])('answers for %s: %s on %s', (_label, cardChange, code, param) => {
    const problem = problemWith(NewPaymentBody, { ...VALID, card: { ...CARD, ...cardChange } });
    expect(problem.code).toBe(code);
    expect(problem.param).toBe(param);
  });

  it('answers validation_error "card.cvv is required." for a card without a CVV', () => {
    expect(problemWith(NewPaymentBody, { ...VALID, card: without(CARD, 'cvv') })).toEqual({
      code: 'validation_error',
      param: 'card.cvv',
      message: 'card.cvv is required.',
    });
  });

  it('answers validation_error naming an unknown top-level parameter', () => {
    expect(problemWith(NewPaymentBody, { ...VALID, capture: true })).toEqual({
      code: 'validation_error',
      param: 'capture',
      message: 'Unknown parameter: capture.',
    });
  });

  it('answers validation_error with the full path of an unknown card parameter', () => {
    expect(problemWith(NewPaymentBody, { ...VALID, card: { ...CARD, pin: '1234' } })).toMatchObject({
      code: 'validation_error',
      param: 'card.pin',
    });
  });

  it.each([
    ['51 keys', metadataOf(51), 'metadata'],
    ['a key of 41 characters', { ['k'.repeat(41)]: 'v' }, `metadata.${'k'.repeat(41)}`],
    ['an empty key', { '': 'v' }, 'metadata.'],
    ['a value of 501 characters', { order_id: 'v'.repeat(501) }, 'metadata.order_id'],
    ['a number value', { order_id: 12345 }, 'metadata.order_id'],
  ])('answers validation_error for metadata with %s', (_label, metadata, param) => {
    const problem = problemWith(NewPaymentBody, { ...VALID, metadata });
    expect(problem.code).toBe('validation_error');
    expect(problem.param).toBe(param);
  });

  it('answers validation_error on description for 1001 characters, and accepts 1000', () => {
    expect(problemWith(NewPaymentBody, { ...VALID, description: 'd'.repeat(1001) })).toMatchObject({
      code: 'validation_error',
      param: 'description',
    });
    expect(NewPaymentBody.safeParse({ ...VALID, description: 'd'.repeat(1000) }).success).toBe(true);
  });

  it('answers validation_error on customer.email for an invalid email', () => {
    expect(problemWith(NewPaymentBody, { ...VALID, customer: { email: 'not-an-email' } })).toMatchObject({
      code: 'validation_error',
      param: 'customer.email',
    });
  });

  it('answers validation_error with an empty param for a body that is not an object', () => {
    expect(problemWith(NewPaymentBody, 'hello')).toMatchObject({ code: 'validation_error', param: '' });
  });

  it('never echoes the card number in its message', () => {
    const number = '4242424242424242x';
    const problem = problemWith(NewPaymentBody, { ...VALID, card: { ...CARD, number } });
    expect(problem.code).toBe('invalid_card_number');
    expect(problem.message).not.toContain('4242424242424242');
  });
});

describe('CaptureBody and RefundBody', () => {
  it('accept an empty body and an optional amount', () => {
    expect(CaptureBody.parse({})).toEqual({});
    expect(CaptureBody.parse({ amount: 500 })).toEqual({ amount: 500 });
    expect(RefundBody.parse({ amount: 500, reason: ' damaged ' })).toEqual({ amount: 500, reason: 'damaged' });
  });

  it('answer invalid_amount for an amount of 0', () => {
    expect(problemWith(CaptureBody, { amount: 0 }).code).toBe('invalid_amount');
    expect(problemWith(RefundBody, { amount: 0 }).code).toBe('invalid_amount');
  });
});

describe('ListTransactionsQuery', () => {
  it('defaults to limit 10 and offset 0', () => {
    expect(ListTransactionsQuery.parse({})).toEqual({ limit: 10, offset: 0 });
  });

  it('coerces numbers given as query strings and keeps a known status', () => {
    expect(ListTransactionsQuery.parse({ limit: '100', offset: '20', status: 'refunded' })).toEqual({
      limit: 100,
      offset: 20,
      status: 'refunded',
    });
    expect(ListTransactionsQuery.parse({ limit: '1' }).limit).toBe(1);
  });

  it.each([
    ['limit 0', { limit: '0' }, 'limit'],
    ['limit 101', { limit: '101' }, 'limit'],
    ['limit 2.5', { limit: '2.5' }, 'limit'],
    ['limit "ten"', { limit: 'ten' }, 'limit'],
    ['offset -1', { offset: '-1' }, 'offset'],
    ['offset 10001', { offset: '10001' }, 'offset'],
    ['an unknown status', { status: 'pending' }, 'status'],
    ['an unknown parameter', { page: '2' }, 'page'],
  ])('refuses %s with validation_error on its param', (_label, query, param) => {
    const problem = problemWith(ListTransactionsQuery, query);
    expect(problem.code).toBe('validation_error');
    expect(problem.param).toBe(param);
  });

  it.each(['authorized', 'captured', 'voided', 'refunded', 'failed', 'expired'])('accepts the status %s', (status) => {
    expect(ListTransactionsQuery.parse({ status }).status).toBe(status);
  });
});

describe('ListDeliveriesQuery', () => {
  const delivery = `whd_${'a'.repeat(24)}`;

  it('takes one cursor, starting_after or ending_before, by delivery id', () => {
    expect(ListDeliveriesQuery.parse({ starting_after: delivery, status: 'failed' })).toEqual({ starting_after: delivery, status: 'failed', limit: 10, offset: 0 });
    expect(ListDeliveriesQuery.parse({ ending_before: delivery, limit: '5' })).toEqual({ ending_before: delivery, limit: 5, offset: 0 });
  });

  it.each([
    ['both cursors', { starting_after: delivery, ending_before: delivery }, 'ending_before'],
    ['a cursor with an offset', { starting_after: delivery, offset: '10' }, 'offset'],
    ['a cursor that is no delivery id', { ending_before: 'evt_aaaaaaaaaaaaaaaaaaaaaaaa' }, 'ending_before'],
  ])('refuses %s with validation_error on its param', (_label, query, param) => {
    const problem = problemWith(ListDeliveriesQuery, query);
    expect(problem.code).toBe('validation_error');
    expect(problem.param).toBe(param);
  });
});
