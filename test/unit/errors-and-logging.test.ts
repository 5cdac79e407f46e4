import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError, errors } from '../../shared/domain/errors.ts';
import { jsonLogger, redact, type LogLevel } from '../../shared/logger.ts';

describe('ApiError', () => {
  it('is an Error named ApiError with its status, type, code and message', () => {
    const error = errors.notFound('payment');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ApiError');
    expect(error.status).toBe(404);
    expect(error.type).toBe('invalid_request_error');
    expect(error.code).toBe('resource_not_found');
    expect(error.message).toBe('No such payment.');
  });

  it('has a body of only type, code and message when it has no details', () => {
    const body = errors.notFound('payment').toBody();
    expect(body).toStrictEqual({
      error: { type: 'invalid_request_error', code: 'resource_not_found', message: 'No such payment.' },
    });
    expect(Object.keys(body.error)).toEqual(['type', 'code', 'message']);
  });

  it('adds param and request_id when present', () => {
    expect(errors.invalidCvv().toBody('req_123')).toStrictEqual({
      error: {
        type: 'invalid_request_error',
        code: 'invalid_cvv',
        message: 'The card security code is invalid.',
        param: 'card.cvv',
        request_id: 'req_123',
      },
    });
  });

  it('adds decline_code and payment_id to a card decline, with a message for the decline code', () => {
    expect(errors.cardDeclined('insufficient_funds', 'pay_1').toBody()).toStrictEqual({
      error: {
        type: 'card_error',
        code: 'card_declined',
        message: 'Your card has insufficient funds.',
        decline_code: 'insufficient_funds',
        payment_id: 'pay_1',
      },
    });
  });

  it('falls back to a generic message for an unknown decline code', () => {
    expect(errors.cardDeclined('lost_card', 'pay_1').message).toBe('Your card was declined.');
  });

  it('gives a fraud decline the decline code fraudulent', () => {
    const body = errors.fraudDeclined('pay_2').toBody();
    expect(body.error).toMatchObject({ type: 'card_error', code: 'fraud_declined', decline_code: 'fraudulent', payment_id: 'pay_2' });
  });

  it('never puts details that are absent in the body, even as undefined', () => {
    const body = new ApiError(400, 'invalid_request_error', 'validation_error', 'Bad.', { param: 'x' }).toBody();
    expect('decline_code' in body.error).toBe(false);
    expect('payment_id' in body.error).toBe(false);
    expect('request_id' in body.error).toBe(false);
  });

  it.each([
    ['invalidJson', errors.invalidJson(), 400, 'invalid_request_error'],
    ['validation', errors.validation('x', 'p'), 400, 'invalid_request_error'],
    ['invalidState', errors.invalidState('x'), 409, 'invalid_request_error'],
    ['missingApiKey', errors.missingApiKey(), 401, 'authentication_error'],
    ['invalidApiKey', errors.invalidApiKey(), 401, 'authentication_error'],
    ['invalidClientSecret', errors.invalidClientSecret(), 401, 'authentication_error'],
    ['cardDeclined', errors.cardDeclined('do_not_honor', 'pay_1'), 402, 'card_error'],
    ['idempotencyKeyMismatch', errors.idempotencyKeyMismatch(), 409, 'idempotency_error'],
    ['idempotencyKeyInUse', errors.idempotencyKeyInUse(), 409, 'idempotency_error'],
    ['payloadTooLarge', errors.payloadTooLarge(), 413, 'invalid_request_error'],
    ['internal', errors.internal(), 500, 'api_error'],
    ['serviceUnavailable', errors.serviceUnavailable(), 503, 'api_error'],
  ])('makes %s a %i %s', (_name, error, status, type) => {
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
  });

  describe('isRememberedByIdempotency', () => {
    it.each([
      ['a card decline', errors.cardDeclined('do_not_honor', 'pay_1')],
      ['a fraud decline', errors.fraudDeclined('pay_1')],
      ['already_captured', errors.alreadyCaptured()],
      ['already_voided', errors.alreadyVoided()],
      ['already_refunded', errors.alreadyRefunded()],
      ['amount_too_high', errors.amountTooHigh('too much')],
      ['authorization_expired', errors.authorizationExpired()],
      ['not_captured', errors.notCaptured()],
      ['already_completed', errors.alreadyCompleted()],
      ['invalid_state', errors.invalidState('no')],
    ])('remembers %s', (_label, error) => {
      expect(error.isRememberedByIdempotency).toBe(true);
    });

    it.each([
      ['invalid_json', errors.invalidJson()],
      ['validation_error', errors.validation('bad', 'amount')],
      ['invalid_amount', errors.invalidAmount('bad')],
      ['unsupported_currency', errors.unsupportedCurrency()],
      ['invalid_card_number', errors.invalidCardNumber()],
      ['invalid_expiry', errors.invalidExpiry()],
      ['invalid_cvv', errors.invalidCvv()],
      ['invalid_url', errors.invalidUrl('success_url')],
      ['missing_api_key', errors.missingApiKey()],
      ['invalid_api_key', errors.invalidApiKey()],
      ['invalid_client_secret', errors.invalidClientSecret()],
      ['resource_not_found', errors.notFound('payment')],
      ['idempotency_key_mismatch', errors.idempotencyKeyMismatch()],
      ['idempotency_key_in_use', errors.idempotencyKeyInUse()],
      ['payload_too_large', errors.payloadTooLarge()],
      ['rate_limit_exceeded', new ApiError(429, 'rate_limit_error', 'rate_limit_exceeded', 'Slow down.', { retryAfterSeconds: 1 })],
      ['internal_error', errors.internal()],
      ['service_unavailable', errors.serviceUnavailable()],
    ])('does not remember %s', (_label, error) => {
      expect(error.isRememberedByIdempotency).toBe(false);
    });
  });
});

describe('redact', () => {
  it.each([
    ['a 16-digit card number', '4242424242424242'],
    ['a 12-digit number', '123456789012'],
    ['a 19-digit number', '6250941006528599123'],
    ['a number in groups of four separated by spaces', '4242 4242 4242 4242'],
    ['a number in groups of four separated by dashes', '4242-4242-4242-4242'],
    ['an American Express in 4-6-5 groups', '3782 822463 10005'],
  ])('masks %s', (_label, number) => {
    expect(redact(`card ${number} was declined`)).toBe('card [REDACTED_NUMBER] was declined');
  });

  it('masks a card number inside JSON text', () => {
    expect(redact('{"number":"4242424242424242","cvv":"123"}')).toBe('{"number":"[REDACTED_NUMBER]","cvv":"123"}');
  });

  it('leaves shorter digit runs alone', () => {
    expect(redact('order 12345678901 of 2026-11-24, amount 9999')).toBe('order 12345678901 of 2026-11-24, amount 9999');
  });

  it('masks any 12-19 digit run standing between spaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 12, maxLength: 19 }), (digits) => {
        const out = redact(`pan ${digits} end`);
        expect(out).toBe('pan [REDACTED_NUMBER] end');
      }),
    );
  });

  it.each([
    ['a test API key', 'Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dcAbCdEfGh', 'Bearer sk_[REDACTED]'],
    ['a live API key', 'key=sk_live_4eC39HqLyjWDarjtT1zdp7dcAbCdEfGh;', 'key=sk_[REDACTED];'],
    ['a webhook secret', 'secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/abc= end', 'secret whsec_[REDACTED] end'],
    [
      'a client secret, keeping the intent id',
      '?client_secret=pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH&x=1',
      '?client_secret=pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_[REDACTED]&x=1',
    ],
  ])('masks %s', (_label, text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('masks every secret in one text', () => {
    const out = redact('sk_test_abc123 4242424242424242 whsec_xyz pi_a_secret_b');
    expect(out).toBe('sk_[REDACTED] [REDACTED_NUMBER] whsec_[REDACTED] pi_a_secret_[REDACTED]');
  });

  // Known bug (shared/logger.ts, the card-number pattern): `\b` needs a non-word character on
  // each side, so a number glued to a letter or an underscore is not masked. Remove `.fails` once fixed.
  it('masks a card number glued to a letter or an underscore', () => {
    expect(redact('pan4242424242424242')).not.toContain('4242424242424242');
    expect(redact('card_4242424242424242')).not.toContain('4242424242424242');
  });

  it('leaves text without secrets unchanged', () => {
    const text = 'Captured pay_0123456789ABCDEFGHIJabcd for 9999 USD (request req_abc)';
    expect(redact(text)).toBe(text);
  });
});

describe('jsonLogger', () => {
  function capture(minLevel?: LogLevel) {
    const lines: string[] = [];
    const logger = minLevel === undefined ? jsonLogger((line) => lines.push(line)) : jsonLogger((line) => lines.push(line), minLevel);
    return { lines, logger };
  }

  it('writes one line of JSON per call with level, time, message and the fields', () => {
    const { lines, logger } = capture();
    logger.log('info', 'payment captured', { paymentId: 'pay_1', amount: 9999 });
    logger.log('error', 'issuer failed');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain('\n');
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(first).toEqual({ level: 'info', time: expect.any(String), message: 'payment captured', paymentId: 'pay_1', amount: 9999 });
    expect(new Date(String(first.time)).toISOString()).toBe(first.time);
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ level: 'error', message: 'issuer failed' });
  });

  it('redacts the message and string values at any depth of nested fields and arrays', () => {
    const { lines, logger } = capture();
    logger.log('warn', 'declined 4242424242424242', {
      request: { headers: { authorization: 'Bearer sk_test_abcdefABCDEF0123456789abcdefABCD' }, card: { number: '4242 4242 4242 4242' } },
      secrets: ['whsec_abc', { clientSecret: 'pi_1_secret_2' }],
      count: 3,
      ok: true,
      nothing: null,
    });
    const line = lines[0] ?? '';
    expect(line).not.toMatch(/4242/);
    expect(line).not.toMatch(/sk_test_a|whsec_a|_secret_2/);
    expect(JSON.parse(line)).toEqual({
      level: 'warn',
      time: expect.any(String),
      message: 'declined [REDACTED_NUMBER]',
      request: { headers: { authorization: 'Bearer sk_[REDACTED]' }, card: { number: '[REDACTED_NUMBER]' } },
      secrets: ['whsec_[REDACTED]', { clientSecret: 'pi_1_secret_[REDACTED]' }],
      count: 3,
      ok: true,
      nothing: null,
    });
  });

  it('drops entries below the minimum level, info by default', () => {
    const byDefault = capture();
    byDefault.logger.log('debug', 'hidden');
    byDefault.logger.log('info', 'shown');
    expect(byDefault.lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['shown']);

    const warn = capture('warn');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) warn.logger.log(level, level);
    expect(warn.lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['warn', 'error']);

    const debug = capture('debug');
    debug.logger.log('debug', 'shown');
    expect(debug.lines).toHaveLength(1);
  });

  it('redacts string values six objects deep', () => {
    const { lines, logger } = capture();
    logger.log('info', 'deep', { a: { b: { c: { d: { e: { f: { card: '4242424242424242' } } } } } } });
    expect(lines[0]).toContain('[REDACTED_NUMBER]');
    expect(lines[0]).not.toContain('4242424242424242');
  });

  // Known bug (shared/logger.ts, redactValue): an object nested deeper than 6 levels is returned
  // as is and then serialised whole, so its strings reach the log unredacted. Remove `.fails`
  // once fixed.
  it('redacts a card number nested seven objects deep', () => {
    const { lines, logger } = capture();
    logger.log('info', 'deep', { a: { b: { c: { d: { e: { f: { g: { card: '4242424242424242' } } } } } } } });
    expect(lines[0]).not.toContain('4242424242424242');
  });
});
