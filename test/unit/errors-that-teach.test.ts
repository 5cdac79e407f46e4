import { describe, expect, it } from 'vitest';
import { ApiError, errors } from '../../shared/domain/errors.ts';
import { describeFirstIssue } from '../../shared/http/validation-problems.ts';
import { resolveRoute } from '../../shared/http/route-resolution.ts';
import { errorAnswer } from '../../shared/http/types.ts';
import { CaptureBody, NewPaymentBody } from '../../shared/http/schemas.ts';
import { ROUTES } from '../../shared/routes.ts';

const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvv: '123' };
const ROUTE_LIST = Object.values(ROUTES);

function problemOf(schema: typeof NewPaymentBody | typeof CaptureBody, input: Record<string, unknown>) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to be refused');
  return describeFirstIssue(result.error, input, schema);
}

describe('validation problems, in the API’s words', () => {
  it('reports an unknown parameter before the missing one it stands for, with the nearest known name', () => {
    expect(problemOf(NewPaymentBody, { amout: 9999, currency: 'USD', card: CARD })).toEqual({
      code: 'validation_error',
      param: 'amout',
      message: 'Unknown parameter: amout. Did you mean amount?',
    });
  });

  it('finds the nearest name inside nested objects too, whatever the case and underscores', () => {
    const card = { number: CARD.number, exp_year: CARD.exp_year, cvv: CARD.cvv };
    expect(problemOf(NewPaymentBody, { amount: 9999, currency: 'USD', card: { ...card, exp_mnth: 12 } }).message).toBe(
      'Unknown parameter: card.exp_mnth. Did you mean card.exp_month?',
    );
    expect(problemOf(NewPaymentBody, { amount: 9999, currency: 'USD', card: { ...card, expMonth: 12 } }).message).toBe(
      'Unknown parameter: card.expMonth. Did you mean card.exp_month?',
    );
  });

  it('suggests nothing for a name far from every known one, and never echoes a card number given as a name', () => {
    expect(problemOf(NewPaymentBody, { amount: 9999, currency: 'USD', card: CARD, colour: 'red' }).message).toBe('Unknown parameter: colour.');
    const hidden = problemOf(NewPaymentBody, { amount: 9999, currency: 'USD', card: CARD, '4242424242424242': 1 });
    expect(JSON.stringify(hidden)).not.toContain('4242424242424242');
  });

  it('explains amounts as integers in minor units, for a string, a decimal and an amount too small', () => {
    expect(problemOf(NewPaymentBody, { amount: '99.99', currency: 'USD', card: CARD })).toEqual({
      code: 'invalid_amount',
      param: 'amount',
      message: 'amount must be a JSON number, not a string: amounts are integers in minor units (9999 for 99.99 USD).',
    });
    expect(problemOf(NewPaymentBody, { amount: 99.99, currency: 'USD', card: CARD }).message).toBe(
      'amount must be an integer: amounts are integers in minor units (9999 for 99.99 USD).',
    );
    expect(problemOf(CaptureBody, { amount: 0 }).message).toBe('amount must be at least 1: amounts are integers in minor units (9999 for 99.99 USD).');
  });

  it('names the expected and the received type in plain words', () => {
    expect(problemOf(NewPaymentBody, { amount: 9999, currency: 'USD', card: { ...CARD, exp_month: '12' } })).toEqual({
      code: 'invalid_expiry',
      param: 'card.exp_month',
      message: 'card.exp_month must be a number, not a string.',
    });
  });

  it('still says a missing parameter is required when nothing unknown was sent', () => {
    expect(problemOf(NewPaymentBody, { currency: 'USD', card: CARD }).message).toBe('amount is required.');
  });
});

describe('resolveRoute', () => {
  it('takes a literal segment over a path parameter, so GET of a POST-only literal path is a 405 naming POST', () => {
    // Whatever the order of the table.
    for (const routes of [ROUTE_LIST, [...ROUTE_LIST].reverse()]) {
      expect(resolveRoute(routes, 'GET', '/api/v1/payments/authorize')).toEqual({ kind: 'method_not_allowed', path: '/api/v1/payments/authorize', allow: ['POST'] });
    }
    expect(resolveRoute(ROUTE_LIST, 'POST', '/api/v1/payments/authorize')).toMatchObject({ kind: 'route', route: ROUTES.authorizePayment, params: {} });
  });

  it('gives a path parameter its segment, with or without a trailing slash', () => {
    expect(resolveRoute(ROUTE_LIST, 'POST', '/api/v1/payments/pay_1/capture/')).toEqual({ kind: 'route', route: ROUTES.capturePayment, params: { id: 'pay_1' } });
    expect(resolveRoute(ROUTE_LIST, 'GET', '/api/v1/payments/pay_1')).toEqual({ kind: 'route', route: ROUTES.getPayment, params: { id: 'pay_1' } });
  });

  it('lists every method of the path for a method it does not take', () => {
    expect(resolveRoute(ROUTE_LIST, 'PUT', '/api/v1/webhook-endpoints')).toEqual({ kind: 'method_not_allowed', path: '/api/v1/webhook-endpoints', allow: ['POST', 'GET'] });
    expect(resolveRoute(ROUTE_LIST, 'DELETE', '/api/v1/payments/pay_1')).toMatchObject({ kind: 'method_not_allowed', allow: ['GET'] });
  });

  it('suggests the nearest route for a typo, and none for a path far from all of them', () => {
    expect(resolveRoute(ROUTE_LIST, 'POST', '/api/v1/payment/authorize')).toEqual({ kind: 'not_found', nearest: { method: 'POST', path: '/api/v1/payments/authorize' } });
    expect(resolveRoute(ROUTE_LIST, 'POST', '/api/v1/payments/pay_1/captur')).toEqual({ kind: 'not_found', nearest: { method: 'POST', path: '/api/v1/payments/{id}/capture' } });
    expect(resolveRoute(ROUTE_LIST, 'GET', '/api/v1/transaction')).toEqual({ kind: 'not_found', nearest: { method: 'GET', path: '/api/v1/transactions' } });
    expect(resolveRoute(ROUTE_LIST, 'GET', '/wp-admin/setup.php')).toEqual({ kind: 'not_found', nearest: null });
    expect(resolveRoute(ROUTE_LIST, 'POST', '/api/v1/payments//capture')).toMatchObject({ kind: 'not_found' });
  });
});

describe('error answers', () => {
  it('carry doc_url, the reference’s anchor of their code, and Allow on a 405', () => {
    const answer = errorAnswer(errors.methodNotAllowed('GET', '/api/v1/payments/authorize', ['POST']), 'req_1', 'http://localhost:3000/');
    expect(answer.statusCode).toBe(405);
    expect(answer.headers['allow']).toBe('POST');
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'method_not_allowed',
        message: 'GET is not allowed on /api/v1/payments/authorize: it takes POST.',
        request_id: 'req_1',
        doc_url: 'http://localhost:3000/docs/errors#method_not_allowed',
      },
    });
  });

  it('name the method, the path and the nearest route of an unknown route, redacting a card number in the path', () => {
    const error = errors.routeNotFound('POST', '/api/v1/payment/authorize', { method: 'POST', path: '/api/v1/payments/authorize' });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('No route for POST /api/v1/payment/authorize. Did you mean POST /api/v1/payments/authorize?');
    const leaky = errors.routeNotFound('GET', '/api/v1/cards/4242424242424242');
    expect(JSON.stringify(leaky.toBody('req_1', 'http://x'))).not.toContain('4242424242424242');
  });
});
