/**
 * The payment endpoints of API.md over real HTTP, as a merchant speaks to the local gateway:
 * the lifecycle, every test card, every request and state error, authentication, and the
 * envelope every answer must have (checked on each call by `checkedClient`).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import {
  AMEX,
  MASTERCARD,
  THIS_YEAR,
  UNTHROTTLED,
  VISA,
  allTransactions,
  base62,
  card,
  checkedClient,
  expectContractEnvelope,
  expectError,
  onboardMerchant,
  paymentBody,
  transactionsOf,
  type Call,
  type OnboardedMerchant,
} from './helpers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

let gateway: GatewayProcess;
let api: Call;
let other: OnboardedMerchant;

beforeAll(async () => {
  gateway = await startGatewayProcess(UNTHROTTLED);
  api = checkedClient(gateway.url, gateway.apiKey);
  other = await onboardMerchant(gateway.url, 'Other Shop');
});

afterAll(async () => {
  await gateway?.stop();
  if (gateway) rmSync(gateway.dataDir, { recursive: true, force: true });
});

async function authorize(overrides: Record<string, unknown> = {}) {
  const answer = await api('POST', '/api/v1/payments/authorize', paymentBody(overrides));
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as { id: string; amount: number; created_at: string } & Record<string, unknown>;
}

async function sale(overrides: Record<string, unknown> = {}) {
  const answer = await api('POST', '/api/v1/payments/sale', paymentBody(overrides));
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as { id: string; amount: number; created_at: string } & Record<string, unknown>;
}

const unknownPaymentId = () => `pay_${base62(24)}`;

describe.concurrent('authorize', () => {
  it('answers 201 with an authorized payment whose whole amount is capturable for 7 days', async () => {
    const answer = await api('POST', '/api/v1/payments/authorize', {
      amount: 9999,
      currency: 'usd',
      card: card(VISA, { holder_name: 'Jane Doe' }),
      customer: { email: 'jane@example.com', name: 'Jane Doe', phone: '+212600000000' },
      description: 'Order #12345',
      metadata: { order_id: '12345' },
    });
    expect(answer.status).toBe(201);
    const p = answer.body;
    expect(p).toMatchObject({
      id: expect.stringMatching(/^pay_[0-9A-Za-z]{20,}$/),
      object: 'payment',
      status: 'authorized',
      amount: 9999,
      currency: 'USD',
      amount_capturable: 9999,
      amount_captured: 0,
      amount_refunded: 0,
      customer: { email: 'jane@example.com', name: 'Jane Doe', phone: '+212600000000' },
      description: 'Order #12345',
      metadata: { order_id: '12345' },
      fraud: { score: expect.any(Number), decision: 'approve', rules: expect.any(Array) },
      response_code: '00',
      decline_code: null,
      authorization_code: expect.stringMatching(/^[A-Z0-9]{6}$/),
      payment_intent_id: null,
      captured_at: null,
      voided_at: null,
    });
    expect(new Date(p.authorized_at).toISOString()).toBe(p.authorized_at);
    expect(Date.parse(p.expires_at) - Date.parse(p.authorized_at)).toBe(7 * DAY_MS);
    expect(Math.abs(Date.parse(p.created_at) - Date.now())).toBeLessThan(60_000);
  });

  it('shows the card as a token with brand, last4, expiry and fingerprint, and never its number or CVV', async () => {
    const answer = await api('POST', '/api/v1/payments/authorize', paymentBody({ card: card(VISA, { cvv: '837' }) }));
    expect(answer.status).toBe(201);
    expect(answer.body.card).toMatchObject({
      token: expect.stringMatching(/^tok_[0-9A-Za-z]{20,}$/),
      brand: 'visa',
      last4: '4242',
      exp_month: 12,
      exp_year: card(VISA).exp_year,
      fingerprint: expect.stringMatching(/^\S{8,}$/),
    });
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(VISA);
    expect(text).not.toMatch(/cvv|cvc/i);
    expect(text).not.toContain('"837"');
    expect(answer.body.card).not.toHaveProperty('number');
  });

  it('recognises brands, ignores spaces and dashes in the number, and keeps one fingerprint per card', async () => {
    const mastercard = await authorize({ card: card('5555 5555 5555 4444') });
    const amex = await authorize({ card: card('3782-822463-10005', { cvv: '1234', cardholder_name: 'A. Cardholder' }) });
    const visaOnce = await authorize();
    const visaTwice = await authorize({ card: card('4242-4242-4242-4242') });
    expect(mastercard['card']).toMatchObject({ brand: 'mastercard', last4: '4444' });
    expect(amex['card']).toMatchObject({ brand: 'amex', last4: '0005' });
    const fingerprint = (p: Record<string, unknown>) => (p['card'] as { fingerprint: string }).fingerprint;
    expect(fingerprint(visaTwice)).toBe(fingerprint(visaOnce));
    expect(fingerprint(mastercard)).not.toBe(fingerprint(visaOnce));
  });

  it('accepts the smallest and largest amounts and every supported currency in any case', async () => {
    expect((await authorize({ amount: 1 })).amount).toBe(1);
    expect((await authorize({ amount: 99_999_999 })).amount).toBe(99_999_999);
    expect((await authorize({ currency: 'eur' }))['currency']).toBe('EUR');
    expect((await authorize({ currency: 'MAD' }))['currency']).toBe('MAD');
  });

  it('writes an authorize transaction and GET returns the payment exactly as authorize answered it', async () => {
    const created = await authorize({ amount: 4321 });
    const fetched = await api('GET', `/api/v1/payments/${created.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created);
    const transactions = await transactionsOf(api, created);
    expect(transactions).toEqual([
      expect.objectContaining({ object: 'transaction', type: 'authorize', status: 'authorized', amount: 4321, currency: 'USD', response_code: '00' }),
    ]);
  });
});

describe.concurrent('sale', () => {
  it('answers 201 with a payment captured at once and writes a sale transaction', async () => {
    const answer = await api('POST', '/api/v1/payments/sale', paymentBody({ amount: 2500, currency: 'EUR' }));
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      status: 'captured',
      amount: 2500,
      currency: 'EUR',
      amount_captured: 2500,
      amount_capturable: 0,
      amount_refunded: 0,
      response_code: '00',
    });
    expect(answer.body.captured_at).toBe(answer.body.authorized_at);
    expect(await transactionsOf(api, answer.body)).toEqual([
      expect.objectContaining({ type: 'sale', status: 'captured', amount: 2500, currency: 'EUR' }),
    ]);
  });
});

describe.concurrent('capture', () => {
  it('captures the whole authorization when no amount is given', async () => {
    const payment = await authorize({ amount: 1500 });
    const answer = await api('POST', `/api/v1/payments/${payment.id}/capture`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: payment.id, status: 'captured', amount_captured: 1500, amount_capturable: 0, amount_refunded: 0 });
    expect(Date.parse(answer.body.captured_at)).toBeGreaterThanOrEqual(Date.parse(answer.body.authorized_at));
    expect((await api('GET', `/api/v1/payments/${payment.id}`)).body).toEqual(answer.body);
    const transactions = await transactionsOf(api, payment);
    expect(transactions[0]).toMatchObject({ type: 'capture', status: 'captured', amount: 1500 });
  });

  it('captures part of the authorization once and releases the rest', async () => {
    const payment = await authorize({ amount: 1000 });
    const answer = await api('POST', `/api/v1/payments/${payment.id}/capture`, { amount: 600 });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'captured', amount: 1000, amount_captured: 600, amount_capturable: 0 });
    expectError(await api('POST', `/api/v1/payments/${payment.id}/capture`, { amount: 400 }), 400, 'already_captured');
  });

  it('refuses a second capture with 400 already_captured', async () => {
    const payment = await authorize();
    expect((await api('POST', `/api/v1/payments/${payment.id}/capture`, {})).status).toBe(200);
    expectError(await api('POST', `/api/v1/payments/${payment.id}/capture`, {}), 400, 'already_captured');
  });

  it('refuses to capture more than was authorized with 400 amount_too_high and changes nothing', async () => {
    const payment = await authorize({ amount: 1000 });
    expectError(await api('POST', `/api/v1/payments/${payment.id}/capture`, { amount: 1001 }), 400, 'amount_too_high', { param: 'amount' });
    const after = await api('GET', `/api/v1/payments/${payment.id}`);
    expect(after.body).toMatchObject({ status: 'authorized', amount_capturable: 1000, amount_captured: 0 });
  });

  it('refuses to capture a voided payment with 409 invalid_state', async () => {
    const payment = await authorize();
    expect((await api('POST', `/api/v1/payments/${payment.id}/void`)).status).toBe(200);
    expectError(await api('POST', `/api/v1/payments/${payment.id}/capture`), 409, 'invalid_state');
  });

  it('refuses to capture a declined payment with 409 invalid_state', async () => {
    const declined = await api('POST', '/api/v1/payments/authorize', paymentBody({ card: card('4000000000000002') }));
    expect(declined.status).toBe(402);
    expectError(await api('POST', `/api/v1/payments/${declined.body.error.payment_id}/capture`), 409, 'invalid_state');
  });
});

describe.concurrent('void', () => {
  it('voids an authorization, releasing it, and records the reason on the void transaction', async () => {
    const payment = await authorize({ amount: 700 });
    const answer = await api('POST', `/api/v1/payments/${payment.id}/void`, { reason: 'customer changed their mind' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: payment.id, status: 'voided', amount_capturable: 0, amount_captured: 0, captured_at: null });
    expect(new Date(answer.body.voided_at).toISOString()).toBe(answer.body.voided_at);
    const transactions = await transactionsOf(api, payment);
    expect(transactions[0]).toMatchObject({ type: 'void', status: 'voided', amount: 700, reason: 'customer changed their mind' });
  });

  it('refuses a second void with 400 already_voided', async () => {
    const payment = await authorize();
    expect((await api('POST', `/api/v1/payments/${payment.id}/void`, {})).status).toBe(200);
    expectError(await api('POST', `/api/v1/payments/${payment.id}/void`, {}), 400, 'already_voided');
  });

  it('refuses to void a captured payment or a sale with 400 already_captured', async () => {
    const payment = await authorize();
    expect((await api('POST', `/api/v1/payments/${payment.id}/capture`)).status).toBe(200);
    expectError(await api('POST', `/api/v1/payments/${payment.id}/void`), 400, 'already_captured');
    const sold = await sale();
    expectError(await api('POST', `/api/v1/payments/${sold.id}/void`), 400, 'already_captured');
    expect((await api('GET', `/api/v1/payments/${sold.id}`)).body.status).toBe('captured');
  });
});

describe.concurrent('refund', () => {
  it('refunds everything not yet refunded when no amount is given', async () => {
    const payment = await sale({ amount: 1200 });
    const answer = await api('POST', `/api/v1/payments/${payment.id}/refund`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'refunded', amount_captured: 1200, amount_refunded: 1200 });
  });

  it('takes partial refunds until the captured amount is refunded, never more', async () => {
    const payment = await sale({ amount: 1000 });
    const refund = (body?: Record<string, unknown>) => api('POST', `/api/v1/payments/${payment.id}/refund`, body);

    expect((await refund({ amount: 300, reason: 'damaged' })).body).toMatchObject({ status: 'partially_refunded', amount_refunded: 300 });
    expect((await refund({ amount: 200 })).body).toMatchObject({ status: 'partially_refunded', amount_refunded: 500 });
    expectError(await refund({ amount: 501 }), 400, 'amount_too_high', { param: 'amount' });
    expect((await refund({ amount: 500 })).body).toMatchObject({ status: 'refunded', amount_refunded: 1000, amount_captured: 1000 });
    expectError(await refund({ amount: 1 }), 400, 'already_refunded');
    expectError(await refund(), 400, 'already_refunded');

    const refunds = (await transactionsOf(api, payment)).filter((t) => t['type'] === 'refund');
    expect(refunds.map((t) => [t['amount'], t['status'], t['reason']])).toEqual([
      [500, 'refunded', null],
      [200, 'refunded', null],
      [300, 'refunded', 'damaged'],
    ]);
  });

  it('refunds at most what a partial capture took', async () => {
    const payment = await authorize({ amount: 1000 });
    expect((await api('POST', `/api/v1/payments/${payment.id}/capture`, { amount: 400 })).status).toBe(200);
    expectError(await api('POST', `/api/v1/payments/${payment.id}/refund`, { amount: 401 }), 400, 'amount_too_high');
    const answer = await api('POST', `/api/v1/payments/${payment.id}/refund`);
    expect(answer.body).toMatchObject({ status: 'refunded', amount_captured: 400, amount_refunded: 400 });
  });

  it('refuses to refund an authorization that was not captured with 400 not_captured', async () => {
    const payment = await authorize();
    expectError(await api('POST', `/api/v1/payments/${payment.id}/refund`, { amount: 100 }), 400, 'not_captured');
    expect((await api('GET', `/api/v1/payments/${payment.id}`)).body).toMatchObject({ status: 'authorized', amount_refunded: 0 });
  });
});

describe.concurrent('unknown, malformed and foreign payment ids', () => {
  const operations: Array<[string, string, (id: string) => string]> = [
    ['GET /api/v1/payments/{id}', 'GET', (id) => `/api/v1/payments/${id}`],
    ['POST /api/v1/payments/{id}/capture', 'POST', (id) => `/api/v1/payments/${id}/capture`],
    ['POST /api/v1/payments/{id}/void', 'POST', (id) => `/api/v1/payments/${id}/void`],
    ['POST /api/v1/payments/{id}/refund', 'POST', (id) => `/api/v1/payments/${id}/refund`],
  ];

  it.each(operations)('%s answers 404 resource_not_found for an id that does not exist', async (_label, method, path) => {
    expectError(await api(method, path(unknownPaymentId())), 404, 'resource_not_found');
  });

  it.each(['pay_short', `txn_${'a'.repeat(24)}`, 'abc', `pay_${'b'.repeat(20)}!`, `PAY_${'C'.repeat(24)}`])(
    'answers 404 resource_not_found for the malformed payment id %s',
    async (id) => {
      expectError(await api('GET', `/api/v1/payments/${encodeURIComponent(id)}`), 404, 'resource_not_found');
      expectError(await api('POST', `/api/v1/payments/${encodeURIComponent(id)}/capture`), 404, 'resource_not_found');
    },
  );

  it("reports another merchant's payment exactly like a missing one and leaves it untouched", async () => {
    const theirSale = await other.call('POST', '/api/v1/payments/sale', paymentBody({ amount: 800 }));
    const theirAuthorization = await other.call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 900 }));
    expect([theirSale.status, theirAuthorization.status]).toEqual([201, 201]);
    const withoutRequestId = (body: { error: Record<string, unknown> }) => ({ ...body.error, request_id: undefined });

    // Each operation on the payment it could act on: capture and void an authorization, refund a sale.
    const attempts: Array<[string, (id: string) => string, string]> = [
      ['GET', operations[0]![2], theirSale.body.id],
      ['POST', operations[1]![2], theirAuthorization.body.id],
      ['POST', operations[2]![2], theirAuthorization.body.id],
      ['POST', operations[3]![2], theirSale.body.id],
    ];
    for (const [method, path, id] of attempts) {
      const foreign = await api(method, path(id));
      const missing = await api(method, path(unknownPaymentId()));
      expectError(foreign, 404, 'resource_not_found');
      expect(withoutRequestId(foreign.body)).toEqual(withoutRequestId(missing.body));
    }
    expect((await other.call('GET', `/api/v1/payments/${theirSale.body.id}`)).body).toEqual(theirSale.body);
    expect((await other.call('GET', `/api/v1/payments/${theirAuthorization.body.id}`)).body).toEqual(theirAuthorization.body);
  });
});

describe.concurrent('test cards', () => {
  it.each([
    [VISA, 'visa'],
    [MASTERCARD, 'mastercard'],
  ])('approves %s (%s) with response code 00', async (number, brand) => {
    const payment = await authorize({ card: card(number) });
    expect(payment).toMatchObject({ status: 'authorized', response_code: '00', decline_code: null, card: { brand } });
  });

  it.each([
    ['4000000000000002', 'card_declined', 'do_not_honor', '05'],
    ['4000000000009995', 'card_declined', 'insufficient_funds', '51'],
    ['4000000000000069', 'card_declined', 'expired_card', '54'],
    ['4000000000000127', 'card_declined', 'incorrect_cvc', 'N7'],
    ['4000000000000119', 'card_declined', 'processing_error', '96'],
    ['4000000000000259', 'fraud_declined', 'fraudulent', '59'],
  ])('declines %s with 402 %s (%s) and keeps a failed payment with response code %s', async (number, code, declineCode, responseCode) => {
    const answer = await api('POST', '/api/v1/payments/authorize', paymentBody({ amount: 3100, card: card(number) }));
    expectError(answer, 402, code, { decline_code: declineCode, payment_id: expect.stringMatching(/^pay_[0-9A-Za-z]{20,}$/) });

    const paymentId = answer.body.error.payment_id as string;
    const payment = await api('GET', `/api/v1/payments/${paymentId}`);
    expect(payment.status).toBe(200);
    expect(payment.body).toMatchObject({
      id: paymentId,
      status: 'failed',
      amount: 3100,
      amount_capturable: 0,
      amount_captured: 0,
      response_code: responseCode,
      decline_code: declineCode,
      authorization_code: null,
      authorized_at: null,
      card: { last4: number.slice(-4) },
    });
    if (code === 'fraud_declined') {
      expect(payment.body.fraud.score).toBeGreaterThan(70);
      expect(payment.body.fraud.decision).toBe('decline');
    }
    expect(await transactionsOf(api, payment.body)).toEqual([
      expect.objectContaining({
        type: 'authorize',
        status: 'failed',
        amount: 3100,
        response_code: responseCode,
        decline_code: declineCode,
      }),
    ]);
  });

  it('keeps a declined sale as a failed payment with a failed sale transaction', async () => {
    const answer = await api('POST', '/api/v1/payments/sale', paymentBody({ card: card('4000000000009995') }));
    expectError(answer, 402, 'card_declined', { decline_code: 'insufficient_funds' });
    const paymentId = answer.body.error.payment_id as string;
    const payment = await api('GET', `/api/v1/payments/${paymentId}`);
    expect(payment.body).toMatchObject({ status: 'failed', amount_captured: 0 });
    expect(await transactionsOf(api, payment.body)).toEqual([expect.objectContaining({ type: 'sale', status: 'failed', decline_code: 'insufficient_funds' })]);
  });
});

describe.concurrent('request errors', () => {
  const authorizeWith = (body: unknown) => api('POST', '/api/v1/payments/authorize', body);

  it('answers 400 invalid_json to a body that is not JSON', async () => {
    expectError(await authorizeWith('{"amount": 1000, "currency":'), 400, 'invalid_json');
    expectError(await authorizeWith('not json at all'), 400, 'invalid_json');
  });

  it('answers 400 validation_error naming the param of a missing field', async () => {
    const without = (body: Record<string, unknown>, field: string) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== field));
    expectError(await authorizeWith(without(paymentBody(), 'currency')), 400, 'validation_error', { param: 'currency' });
    expectError(await authorizeWith(without(paymentBody(), 'amount')), 400, 'validation_error', { param: 'amount' });
    expectError(await authorizeWith(without(paymentBody(), 'card')), 400, 'validation_error', { param: 'card' });
    expectError(await authorizeWith(paymentBody({ card: without(card(VISA), 'cvv') })), 400, 'validation_error', { param: 'card.cvv' });
    expectError(await authorizeWith(paymentBody({ card: without(card(VISA), 'number') })), 400, 'validation_error', { param: 'card.number' });
  });

  it('answers 400 validation_error naming the param of an unknown field', async () => {
    expectError(await authorizeWith(paymentBody({ capture: true })), 400, 'validation_error', { param: 'capture' });
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { pin: '0000' }) })), 400, 'validation_error', { param: 'card.pin' });
    expectError(await api('POST', `/api/v1/payments/${unknownPaymentId()}/capture`, { amount: 5, note: 'x' }), 400, 'validation_error', {
      param: 'note',
    });
  });

  it.each([0, -1, 1.5, 100_000_000, '1000', null])('answers 400 invalid_amount to the amount %j', async (amount) => {
    expectError(await authorizeWith(paymentBody({ amount })), 400, 'invalid_amount', { param: 'amount' });
  });

  it('answers 400 invalid_amount to a capture or refund amount that is not a positive integer', async () => {
    const payment = await authorize();
    expectError(await api('POST', `/api/v1/payments/${payment.id}/capture`, { amount: 0 }), 400, 'invalid_amount');
    expectError(await api('POST', `/api/v1/payments/${payment.id}/capture`, { amount: 2.5 }), 400, 'invalid_amount');
    const sold = await sale();
    expectError(await api('POST', `/api/v1/payments/${sold.id}/refund`, { amount: -100 }), 400, 'invalid_amount');
  });

  it.each(['GBP', 'US', 'USDD', 'dollars', 840])('answers 400 unsupported_currency to the currency %j', async (currency) => {
    expectError(await authorizeWith(paymentBody({ currency })), 400, 'unsupported_currency', { param: 'currency' });
  });

  it.each([
    ['a number failing the Luhn check', '4242424242424241'],
    ['a Luhn-valid number too short (11 digits)', '42424242420'],
    ['a Luhn-valid number too long (20 digits)', '42424242424242424242'],
    ['a number with letters', '4242abcd42424242'],
    ['a Visa number of a length Visa does not issue', '424242424242424242'],
  ])('answers 400 invalid_card_number to %s', async (_label, number) => {
    expectError(await authorizeWith(paymentBody({ card: card(number) })), 400, 'invalid_card_number', { param: 'card.number' });
  });

  it('answers 400 invalid_expiry to a card that expired, and accepts one expiring this month', async () => {
    const now = new Date();
    const month = now.getUTCMonth() + 1;
    const lastMonth = month === 1 ? { exp_month: 12, exp_year: THIS_YEAR - 1 } : { exp_month: month - 1, exp_year: THIS_YEAR };
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { exp_year: THIS_YEAR - 1 }) })), 400, 'invalid_expiry');
    expectError(await authorizeWith(paymentBody({ card: card(VISA, lastMonth) })), 400, 'invalid_expiry');
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { exp_month: 13 }) })), 400, 'invalid_expiry');
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { exp_month: 0 }) })), 400, 'invalid_expiry');
    const thisMonth = await authorizeWith(paymentBody({ card: card(VISA, { exp_month: month, exp_year: THIS_YEAR }) }));
    expect(thisMonth.status).toBe(201);
  });

  it('answers 400 invalid_cvv unless the CVV has 3 digits, or 4 on American Express', async () => {
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { cvv: '12' }) })), 400, 'invalid_cvv', { param: 'card.cvv' });
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { cvv: '1234' }) })), 400, 'invalid_cvv');
    expectError(await authorizeWith(paymentBody({ card: card(VISA, { cvv: '12a' }) })), 400, 'invalid_cvv');
    expectError(await authorizeWith(paymentBody({ card: card(AMEX, { cvv: '123' }) })), 400, 'invalid_cvv');
    expect((await authorizeWith(paymentBody({ card: card(AMEX, { cvv: '1234' }) }))).status).toBe(201);
  });

  it('answers 400 validation_error to a description over 1000 characters or metadata over its limits', async () => {
    expect((await authorizeWith(paymentBody({ description: 'd'.repeat(1000) }))).status).toBe(201);
    expectError(await authorizeWith(paymentBody({ description: 'd'.repeat(1001) })), 400, 'validation_error', { param: 'description' });
    const fiftyOneKeys = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expectError(await authorizeWith(paymentBody({ metadata: fiftyOneKeys })), 400, 'validation_error');
    expectError(await authorizeWith(paymentBody({ metadata: { ['k'.repeat(41)]: 'v' } })), 400, 'validation_error');
    expectError(await authorizeWith(paymentBody({ metadata: { k: 'v'.repeat(501) } })), 400, 'validation_error');
    expectError(await authorizeWith(paymentBody({ metadata: { k: 5 } })), 400, 'validation_error');
  });

  it('answers 413 payload_too_large to a body over 64 KiB', async () => {
    const body = JSON.stringify(paymentBody({ description: 'x'.repeat(64 * 1024) }));
    expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);
    expectError(await authorizeWith(body), 413, 'payload_too_large');
  });

  it('takes a body of exactly 64 KiB and refuses one byte more', async () => {
    // JSON allows trailing whitespace: a valid request padded to the limit.
    const padded = (size: number) => {
      const json = JSON.stringify(paymentBody());
      return json + ' '.repeat(size - Buffer.byteLength(json));
    };
    expect((await authorizeWith(padded(64 * 1024))).status).toBe(201);
    expectError(await authorizeWith(padded(64 * 1024 + 1)), 413, 'payload_too_large');
  });

  it('answers 413 payload_too_large, with an X-Request-Id, to a body over 1 MiB', async () => {
    // Exactly one byte over the bridge's read limit, so the whole body is sent before the answer.
    const body = `{"description":"${'x'.repeat(1024 * 1024 - 17)}"}`;
    expect(Buffer.byteLength(body)).toBe(1024 * 1024 + 1);
    expectError(await authorizeWith(body), 413, 'payload_too_large');
  });

  it('creates no payment and no transaction for any rejected request', async () => {
    const fresh = await onboardMerchant(gateway.url, 'Careful Shop');
    const rejected = [
      '{"amount":',
      paymentBody({ amount: 0 }),
      paymentBody({ currency: 'GBP' }),
      paymentBody({ card: card('4242424242424241') }),
      paymentBody({ card: card(VISA, { exp_year: THIS_YEAR - 1 }) }),
      paymentBody({ card: card(VISA, { cvv: '12' }) }),
      paymentBody({ extra: 1 }),
    ];
    for (const body of rejected) {
      for (const endpoint of ['authorize', 'sale']) {
        expect((await fresh.call('POST', `/api/v1/payments/${endpoint}`, body)).status).toBe(400);
      }
    }
    expect(await allTransactions(fresh.call)).toEqual([]);
  });
});

describe.concurrent('authentication', () => {
  const routes: Array<[string, string, unknown]> = [
    ['POST', '/api/v1/payments/authorize', paymentBody()],
    ['POST', '/api/v1/payments/sale', paymentBody()],
    ['GET', `/api/v1/payments/pay_${'a'.repeat(24)}`, undefined],
    ['POST', `/api/v1/payments/pay_${'a'.repeat(24)}/capture`, {}],
    ['GET', '/api/v1/transactions', undefined],
    ['GET', `/api/v1/transactions/txn_${'a'.repeat(24)}`, undefined],
  ];

  it.each(routes)('%s %s answers 401 missing_api_key without a key', async (method, path, body) => {
    expectError(await checkedClient(gateway.url)(method, path, body), 401, 'missing_api_key');
  });

  it.each([
    ['a malformed key', 'not-a-key'],
    ['a key too short', 'sk_test_abc123'],
    ['a key of another shape', `pk_test_${base62(40)}`],
    ['a well-formed key nobody issued', `sk_test_${base62(40)}`],
  ])('answers 401 invalid_api_key to %s', async (_label, key) => {
    expectError(await checkedClient(gateway.url, key)('POST', '/api/v1/payments/authorize', paymentBody()), 401, 'invalid_api_key');
    expectError(await checkedClient(gateway.url)('GET', '/api/v1/transactions', undefined, { 'x-api-key': key }), 401, 'invalid_api_key');
  });

  it('answers 401 invalid_api_key to a revoked key, at once', async () => {
    const merchant = await onboardMerchant(gateway.url, 'Revoked Shop');
    expect((await merchant.call('POST', '/api/v1/payments/authorize', paymentBody())).status).toBe(201);
    const admin = client(gateway.url, ADMIN_KEY);
    expect((await admin('DELETE', `/api/admin/merchants/${merchant.id}/api-keys/${merchant.apiKeyId}`)).status).toBe(200);
    expectError(await merchant.call('POST', '/api/v1/payments/authorize', paymentBody()), 401, 'invalid_api_key');
    expectError(await merchant.call('GET', '/api/v1/transactions'), 401, 'invalid_api_key');
  });

  it('accepts the key in an X-API-Key header as well as a Bearer authorization', async () => {
    const answer = await checkedClient(gateway.url)('POST', '/api/v1/payments/authorize', paymentBody(), { 'x-api-key': gateway.apiKey });
    expect(answer.status).toBe(201);
    expect((await api('GET', `/api/v1/payments/${answer.body.id}`)).status).toBe(200);
  });
});

describe.concurrent('every answer', () => {
  it('carries an X-Request-Id even for an unknown route or a wrong method', async () => {
    const raw = client(gateway.url, gateway.apiKey);
    const unknownRoute = await raw('GET', '/api/v1/no-such-thing');
    const wrongMethod = await raw('DELETE', `/api/v1/payments/${unknownPaymentId()}`);
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.error.code).toBe('route_not_found');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('method_not_allowed');
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expectContractEnvelope(unknownRoute, 'GET /api/v1/no-such-thing');
    expectContractEnvelope(wrongMethod, 'DELETE /api/v1/payments/{id}');
  });

  it('teaches the usual mistakes: a GET of a POST route, a typo in a path, a form body, a decimal amount, a typo in a name', async () => {
    const raw = checkedClient(gateway.url, gateway.apiKey);
    const getOfPost = await raw('GET', '/api/v1/payments/authorize');
    expectError(getOfPost, 405, 'method_not_allowed', { message: 'GET is not allowed on /api/v1/payments/authorize: it takes POST.' });
    expect(getOfPost.headers.get('allow')).toBe('POST');
    expectError(await raw('POST', '/api/v1/payment/authorize', paymentBody()), 404, 'route_not_found', {
      message: 'No route for POST /api/v1/payment/authorize. Did you mean POST /api/v1/payments/authorize?',
    });
    expectError(await raw('POST', '/api/v1/payments/authorize', { ...paymentBody(), amount: 99.99 }), 400, 'invalid_amount', {
      param: 'amount',
      message: 'amount must be an integer: amounts are integers in minor units (9999 for 99.99 USD).',
    });
    const { amount, ...rest } = paymentBody();
    expectError(await raw('POST', '/api/v1/payments/authorize', { ...rest, amout: amount }), 400, 'validation_error', {
      message: 'Unknown parameter: amout. Did you mean amount?',
    });
    // What `curl -d '{...}'` sends without -H 'Content-Type: application/json'.
    const form = await fetch(`${gateway.url}/api/v1/payments/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify(paymentBody()),
    });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
  });

  it('gives each request its own request id', async () => {
    const ids = new Set<string | null>();
    for (let i = 0; i < 5; i++) ids.add((await api('GET', `/api/v1/payments/${unknownPaymentId()}`)).headers.get('x-request-id'));
    expect(ids.size).toBe(5);
  });
});
