/**
 * The payment intents section of API.md over real HTTP: every status and error of the merchant's
 * routes, the public routes the checkout page calls (client secret in body, query or header, CORS),
 * the hosted page's headers and cancel redirect, idempotent creation, and expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDocumentedAnswer } from '../support/contract.ts';
import { client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { base62, card, checkedClient, expectError, onboardMerchant, UNTHROTTLED, VISA, type Answer, type Call } from './helpers.ts';

const DECLINED = '4000000000009995';
const INTENT_KEYS = [
  'amount', 'attempts', 'cancel_url', 'capture_method', 'checkout_url', 'client_secret', 'created_at', 'currency', 'customer_email',
  'description', 'expires_at', 'id', 'last_payment_error', 'max_attempts', 'metadata', 'object', 'order_id', 'payment_id', 'status', 'success_url',
];
const PUBLIC_KEYS = ['amount', 'currency', 'customer_email', 'description', 'expires_at', 'id', 'merchant_name', 'object', 'status'];
const ENV = { ...UNTHROTTLED, RATE_LIMIT_PUBLIC_PER_SECOND: '1000000' };

let gateway: GatewayProcess;
let shortLived: GatewayProcess;
let api: Call;
let publicApi: Call;

beforeAll(async () => {
  [gateway, shortLived] = await Promise.all([startGatewayProcess(ENV), startGatewayProcess({ ...ENV, INTENT_TTL_SECONDS: '3' })]);
  api = checkedClient(gateway.url, gateway.apiKey);
  publicApi = checkedClient(gateway.url);
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), shortLived?.stop()]);
});

interface Intent {
  id: string;
  client_secret: string;
  checkout_url: string;
  [key: string]: unknown;
}

function intentBody(overrides: Record<string, unknown> = {}) {
  return { amount: 5000, currency: 'EUR', success_url: 'https://shop.example/thanks', ...overrides };
}

async function createIntent(overrides: Record<string, unknown> = {}, call: Call = api): Promise<Intent> {
  const answer = await call('POST', '/api/v1/payment-intents', intentBody(overrides));
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as Intent;
}

function confirm(intent: Intent, cardNumber = VISA, extra: Record<string, unknown> = {}, call: Call = publicApi): Promise<Answer> {
  return call('POST', `/api/public/payment-intents/${intent.id}/confirm`, { client_secret: intent.client_secret, card: card(cardNumber), ...extra });
}

async function readIntent(id: string, call: Call = api) {
  const answer = await call('GET', `/api/v1/payment-intents/${id}`);
  expect(answer.status).toBe(200);
  return answer.body as Record<string, unknown>;
}

/** The bytes of an answer, for comparing replays exactly, and redirects not followed; checked against the document as the client's are. */
async function raw(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  await expectDocumentedAnswer(init.method ?? 'GET', url, response.status, response.headers, text);
  return { status: response.status, headers: response.headers, text };
}

describe.concurrent('creating and reading payment intents', () => {
  it('answers 201 with the whole intent, its defaults and a checkout_url carrying the client secret', async () => {
    const answer = await api('POST', '/api/v1/payment-intents', {
      amount: 9999, currency: 'usd', success_url: 'https://shop.example/thanks', order_id: 'order-7', description: 'Two tickets', metadata: { cart: 'c_7' },
    });
    expect(answer.status).toBe(201);
    const intent = answer.body as Intent;
    expect(Object.keys(intent).sort()).toEqual(INTENT_KEYS);
    expect(intent).toMatchObject({
      object: 'payment_intent', status: 'created', amount: 9999, currency: 'USD', success_url: 'https://shop.example/thanks',
      cancel_url: 'https://shop.example/thanks', order_id: 'order-7', description: 'Two tickets', capture_method: 'automatic',
      customer_email: null, metadata: { cart: 'c_7' }, payment_id: null, attempts: 0, max_attempts: 5, last_payment_error: null,
    });
    expect(intent.id).toMatch(/^pi_[0-9A-Za-z]+$/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_[0-9A-Za-z]+$`));
    const checkoutUrl = new URL(intent.checkout_url);
    expect(checkoutUrl.pathname).toBe(`/checkout/${intent.id}`);
    expect(checkoutUrl.searchParams.get('client_secret')).toBe(intent.client_secret);
    expect(Date.parse(intent['expires_at'] as string) - Date.parse(intent['created_at'] as string)).toBe(3600 * 1000);
  });

  it('reads the whole intent back with GET, the same client secret included', async () => {
    const intent = await createIntent({ capture_method: 'manual', cancel_url: 'https://shop.example/cart', customer_email: 'a@example.com' });
    const read = await readIntent(intent.id);
    expect(read).toEqual(intent);
    expect(read).toMatchObject({ capture_method: 'manual', cancel_url: 'https://shop.example/cart', customer_email: 'a@example.com' });
  });

  it("answers 404 to an unknown, a malformed or another merchant's intent, and 401 without an API key", async () => {
    const intent = await createIntent();
    const other = await onboardMerchant(gateway.url, 'Other Shop');
    expectError(await api('GET', `/api/v1/payment-intents/pi_${base62(24)}`), 404, 'resource_not_found');
    expectError(await api('GET', '/api/v1/payment-intents/pay_notanintent'), 404, 'resource_not_found');
    expectError(await other.call('GET', `/api/v1/payment-intents/${intent.id}`), 404, 'resource_not_found');
    expectError(await other.call('POST', `/api/v1/payment-intents/${intent.id}/cancel`), 404, 'resource_not_found');
    expectError(await publicApi('GET', `/api/v1/payment-intents/${intent.id}`), 401, 'missing_api_key');
    expectError(await publicApi('POST', '/api/v1/payment-intents', intentBody()), 401, 'missing_api_key');
    expect((await readIntent(intent.id))['status']).toBe('created');
  });

  it('answers 400 invalid_url to an http URL off localhost, ftp, and text that is no URL, for both URLs', async () => {
    for (const [field, url] of [
      ['success_url', 'http://example.com/thanks'],
      ['success_url', 'ftp://example.com/thanks'],
      ['success_url', 'not a url'],
      ['success_url', 'javascript:alert(1)'],
      ['cancel_url', 'http://example.com/cart'],
      ['cancel_url', 'ftp://localhost/cart'],
    ] as const) {
      expectError(await api('POST', '/api/v1/payment-intents', intentBody({ [field]: url })), 400, 'invalid_url', { param: field });
    }
  });

  it('accepts http://localhost and http://127.0.0.1 URLs, with ports', async () => {
    const local = await createIntent({ success_url: 'http://localhost:8080/ok', cancel_url: 'http://127.0.0.1:9000/cancel' });
    expect(local).toMatchObject({ success_url: 'http://localhost:8080/ok', cancel_url: 'http://127.0.0.1:9000/cancel' });
    expect((await createIntent({ success_url: 'http://127.0.0.1/ok' }))['success_url']).toBe('http://127.0.0.1/ok');
  });

  it('answers 400 to a bad amount, currency, capture method, email or unknown field', async () => {
    expectError(await api('POST', '/api/v1/payment-intents', intentBody({ amount: 0 })), 400, 'invalid_amount', { param: 'amount' });
    expectError(await api('POST', '/api/v1/payment-intents', intentBody({ amount: 10.5 })), 400, 'invalid_amount');
    expectError(await api('POST', '/api/v1/payment-intents', intentBody({ currency: 'GBP' })), 400, 'unsupported_currency');
    expectError(await api('POST', '/api/v1/payment-intents', intentBody({ capture_method: 'later' })), 400, 'validation_error', { param: 'capture_method' });
    expectError(await api('POST', '/api/v1/payment-intents', intentBody({ customer_email: 'nope' })), 400, 'validation_error', { param: 'customer_email' });
    expectError(await api('POST', '/api/v1/payment-intents', intentBody({ client_secret: 'x' })), 400, 'validation_error');
    expectError(await api('POST', '/api/v1/payment-intents', { amount: 100, currency: 'EUR' }), 400, 'validation_error', { param: 'success_url' });
    expectError(await api('POST', '/api/v1/payment-intents', '{"amount":'), 400, 'invalid_json');
  });

  it('replays a create with the same Idempotency-Key byte for byte, client secret included, and creates one intent', async () => {
    const key = `intent-${base62(16)}`;
    const init = {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(intentBody({ order_id: key })),
    };
    const first = await raw(`${gateway.url}/api/v1/payment-intents`, init);
    const second = await raw(`${gateway.url}/api/v1/payment-intents`, init);

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);
    const intent = JSON.parse(first.text) as Intent;
    expect(intent.client_secret).toMatch(/_secret_[0-9A-Za-z]+$/);
    expect(second.text).not.toContain('__PAYGATE_CLIENT_SECRET__');
    // The replayed secret works.
    expect((await publicApi('GET', `/api/public/payment-intents/${intent.id}?client_secret=${intent.client_secret}`)).status).toBe(200);

    const events = await api('GET', '/api/v1/events?type=payment_intent.created&limit=100');
    const created = (events.body.data as Array<{ data: { object: { order_id: string } } }>).filter((e) => e.data.object.order_id === key);
    expect(created).toHaveLength(1);

    const mismatch = await api('POST', '/api/v1/payment-intents', intentBody({ order_id: key, amount: 1 }), { 'idempotency-key': key });
    expectError(mismatch, 409, 'idempotency_key_mismatch');
  });
});

describe.concurrent('the public view of an intent', () => {
  it('answers exactly id, object, status, amount, currency, description, merchant_name, customer_email and expires_at', async () => {
    const intent = await createIntent({ description: 'Concert', metadata: { internal: 'do-not-show' }, cancel_url: 'https://shop.example/cart', order_id: 'ord-secret' });
    const answer = await publicApi('GET', `/api/public/payment-intents/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`);

    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(PUBLIC_KEYS);
    expect(answer.body).toEqual({
      id: intent.id, object: 'payment_intent', status: 'created', amount: 5000, currency: 'EUR', description: 'Concert',
      merchant_name: 'Test Merchant', customer_email: null, expires_at: intent['expires_at'],
    });
    const text = JSON.stringify(answer.body);
    for (const hidden of ['_secret_', 'do-not-show', 'shop.example', 'ord-secret', 'https:']) expect(text).not.toContain(hidden);
  });

  it('takes the client secret in the query or the X-Client-Secret header, and answers 401 invalid_client_secret otherwise', async () => {
    const intent = await createIntent();
    const other = await createIntent();
    const path = `/api/public/payment-intents/${intent.id}`;
    expect((await publicApi('GET', `${path}?client_secret=${intent.client_secret}`)).status).toBe(200);
    expect((await publicApi('GET', path, undefined, { 'x-client-secret': intent.client_secret })).status).toBe(200);

    const authError = { type: 'authentication_error' };
    expectError(await publicApi('GET', path), 401, 'invalid_client_secret', authError);
    expectError(await publicApi('GET', `${path}?client_secret=${other.client_secret}`), 401, 'invalid_client_secret', authError);
    expectError(await publicApi('GET', `${path}?client_secret=${intent.client_secret.slice(0, -1)}`), 401, 'invalid_client_secret', authError);
    expectError(await publicApi('GET', path, undefined, { 'x-client-secret': 'wrong' }), 401, 'invalid_client_secret', authError);
    // The merchant's API key is no client secret.
    expectError(await client(gateway.url, gateway.apiKey)('GET', path), 401, 'invalid_client_secret');
    expectError(await publicApi('GET', `/api/public/payment-intents/pi_${base62(24)}?client_secret=x`), 404, 'resource_not_found');
  });

  it('sends CORS headers on public answers, errors included, and answers a preflight 204; none on /api/v1', async () => {
    const intent = await createIntent();
    const ok = await publicApi('GET', `/api/public/payment-intents/${intent.id}?client_secret=${intent.client_secret}`);
    const denied = await publicApi('GET', `/api/public/payment-intents/${intent.id}`);
    const declined = await confirm(intent, DECLINED);
    for (const answer of [ok, denied, declined]) {
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      expect(answer.headers.get('access-control-allow-headers')).toContain('x-client-secret');
    }

    for (const path of [`/api/public/payment-intents/${intent.id}`, `/api/public/payment-intents/${intent.id}/confirm`]) {
      const preflight = await raw(`${gateway.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-client-secret' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.text).toBe('');
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type/);
    }

    const merchantAnswers = [await api('GET', `/api/v1/payment-intents/${intent.id}`), await api('POST', '/api/v1/payment-intents', intentBody())];
    for (const answer of merchantAnswers) expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const merchantPreflight = await raw(`${gateway.url}/api/v1/payment-intents`, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example' } });
    expect(merchantPreflight.status).not.toBe(204);
    expect(merchantPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.concurrent('confirming an intent', () => {
  it('answers 200 with the public view, succeeded, the payment id and the redirect URL, and captures the payment', async () => {
    const intent = await createIntent({ success_url: 'https://shop.example/thanks', customer_email: 'buyer@example.com' });
    const answer = await confirm(intent);

    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual([...PUBLIC_KEYS, 'payment_id', 'redirect_url'].sort());
    expect(answer.body).toMatchObject({ id: intent.id, status: 'succeeded', amount: 5000, currency: 'EUR', customer_email: 'buyer@example.com' });
    expect(answer.body.redirect_url).toBe(`https://shop.example/thanks?payment_intent=${intent.id}`);
    expect(JSON.stringify(answer.body)).not.toContain('_secret_');

    const payment = await api('GET', `/api/v1/payments/${answer.body.payment_id}`);
    expect(payment.body).toMatchObject({ status: 'captured', amount_captured: 5000, payment_intent_id: intent.id });
    expect(await readIntent(intent.id)).toMatchObject({ status: 'succeeded', payment_id: answer.body.payment_id, attempts: 1 });
  });

  it('only authorizes for a manual intent; the merchant captures later', async () => {
    const intent = await createIntent({ capture_method: 'manual', customer_email: 'buyer@example.com' });
    const answer = await confirm(intent);
    expect(answer.status).toBe(200);
    const payment = await api('GET', `/api/v1/payments/${answer.body.payment_id}`);
    expect(payment.body).toMatchObject({ status: 'authorized', amount_capturable: 5000 });
    expect((await api('POST', `/api/v1/payments/${answer.body.payment_id}/capture`, {})).body.status).toBe('captured');
  });

  it('replaces {CHECKOUT_SESSION_ID} and adds payment_intent to a success_url that already has a query', async () => {
    const intent = await createIntent({ success_url: 'https://shop.example/orders/{CHECKOUT_SESSION_ID}/done?lang=fr&session={CHECKOUT_SESSION_ID}', customer_email: 'b@example.com' });
    const answer = await confirm(intent);
    const redirect = new URL(answer.body.redirect_url as string);
    expect(redirect.origin + redirect.pathname).toBe(`https://shop.example/orders/${intent.id}/done`);
    expect([...redirect.searchParams]).toEqual([['lang', 'fr'], ['session', intent.id], ['payment_intent', intent.id]]);
    expect(answer.body.redirect_url).not.toContain('CHECKOUT_SESSION_ID');
  });

  it('takes the client secret in the body, the query or the X-Client-Secret header', async () => {
    const [inBody, inQuery, inHeader] = await Promise.all([1, 2, 3].map(() => createIntent({ customer_email: 'b@example.com' })));
    expect((await confirm(inBody!)).status).toBe(200);
    const queryAnswer = await publicApi('POST', `/api/public/payment-intents/${inQuery!.id}/confirm?client_secret=${encodeURIComponent(inQuery!.client_secret)}`, { card: card(VISA) });
    expect(queryAnswer.status, JSON.stringify(queryAnswer.body)).toBe(200);
    const headerAnswer = await publicApi('POST', `/api/public/payment-intents/${inHeader!.id}/confirm`, { card: card(VISA) }, { 'x-client-secret': inHeader!.client_secret });
    expect(headerAnswer.status, JSON.stringify(headerAnswer.body)).toBe(200);
  });

  it('answers 401 invalid_client_secret to a missing or wrong secret and pays nothing', async () => {
    const intent = await createIntent({ customer_email: 'b@example.com' });
    const other = await createIntent({ customer_email: 'b@example.com' });
    const path = `/api/public/payment-intents/${intent.id}/confirm`;
    expectError(await publicApi('POST', path, { card: card(VISA) }), 401, 'invalid_client_secret');
    expectError(await publicApi('POST', path, { client_secret: other.client_secret, card: card(VISA) }), 401, 'invalid_client_secret');
    expectError(await publicApi('POST', path, { card: card(VISA) }, { 'x-client-secret': `${intent.client_secret}0` }), 401, 'invalid_client_secret');
    expect(await readIntent(intent.id)).toMatchObject({ status: 'created', attempts: 0 });
  });

  it('answers 402 to a decline with its code and payment, keeps the intent created with last_payment_error, then takes a good card', async () => {
    const intent = await createIntent({ customer_email: 'b@example.com' });
    const declined = await confirm(intent, DECLINED);
    expectError(declined, 402, 'card_declined', { type: 'card_error', decline_code: 'insufficient_funds', payment_id: expect.stringMatching(/^pay_/) });
    expect(await readIntent(intent.id)).toMatchObject({
      status: 'created', attempts: 1, payment_id: null,
      last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', message: expect.any(String) },
    });
    const failed = await api('GET', `/api/v1/payments/${declined.body.error.payment_id}`);
    expect(failed.body).toMatchObject({ status: 'failed', payment_intent_id: intent.id, decline_code: 'insufficient_funds' });

    const paid = await confirm(intent);
    expect(paid.status).toBe(200);
    expect(await readIntent(intent.id)).toMatchObject({ status: 'succeeded', attempts: 2, last_payment_error: null, payment_id: paid.body.payment_id });
  });

  it('fails the intent on the 5th decline and answers 410 max_attempts_exceeded from then on', async () => {
    const intent = await createIntent({ customer_email: 'b@example.com' });
    for (let i = 1; i <= 5; i++) expectError(await confirm(intent, DECLINED), 402, 'card_declined');
    expect(await readIntent(intent.id)).toMatchObject({ status: 'failed', attempts: 5 });
    expectError(await confirm(intent), 410, 'max_attempts_exceeded');
    expectError(await publicApi('POST', `/api/public/payment-intents/${intent.id}/confirm`, { client_secret: intent.client_secret, card: card(VISA) }), 410, 'max_attempts_exceeded');
    const view = await publicApi('GET', `/api/public/payment-intents/${intent.id}?client_secret=${intent.client_secret}`);
    expect(view.body.status).toBe('failed');
  });

  it('answers 400 already_completed to a confirm of a succeeded or a canceled intent', async () => {
    const paid = await createIntent({ customer_email: 'b@example.com' });
    expect((await confirm(paid)).status).toBe(200);
    expectError(await confirm(paid), 400, 'already_completed');

    const canceled = await createIntent({ customer_email: 'b@example.com' });
    expect((await api('POST', `/api/v1/payment-intents/${canceled.id}/cancel`)).status).toBe(200);
    expectError(await confirm(canceled), 400, 'already_completed');
    expect(await readIntent(canceled.id)).toMatchObject({ status: 'canceled', payment_id: null, attempts: 0 });
  });

  it('answers 400 validation_error customer_email when the intent has none, and shows the email once given', async () => {
    const intent = await createIntent();
    expectError(await confirm(intent), 400, 'validation_error', { param: 'customer_email' });
    expectError(await confirm(intent, VISA, { customer_email: 'not-an-email' }), 400, 'validation_error', { param: 'customer_email' });
    expect((await readIntent(intent.id))['attempts']).toBe(0);

    const answer = await confirm(intent, VISA, { customer_email: 'late@example.com' });
    expect(answer.status).toBe(200);
    expect(await readIntent(intent.id)).toMatchObject({ status: 'succeeded', customer_email: 'late@example.com' });
  });

  it('answers a confirm with the public view of the intent as stored: the customer_email the customer gave, not null', async () => {
    const intent = await createIntent();
    const answer = await confirm(intent, VISA, { customer_email: 'late@example.com' });
    expect(answer.status).toBe(200);
    const view = await publicApi('GET', `/api/public/payment-intents/${intent.id}?client_secret=${intent.client_secret}`);
    expect(view.body.customer_email).toBe('late@example.com');
    expect(answer.body.customer_email).toBe(view.body.customer_email);
  });

  it('answers 400 to card errors without counting an attempt', async () => {
    const intent = await createIntent({ customer_email: 'b@example.com' });
    expectError(await confirm(intent, '4242424242424241'), 400, 'invalid_card_number', { param: 'card.number' });
    const path = `/api/public/payment-intents/${intent.id}/confirm`;
    expectError(await publicApi('POST', path, { client_secret: intent.client_secret, card: card(VISA, { exp_year: 2020 }) }), 400, 'invalid_expiry');
    expectError(await publicApi('POST', path, { client_secret: intent.client_secret, card: card(VISA, { cvv: '1' }) }), 400, 'invalid_cvv');
    expectError(await publicApi('POST', path, { client_secret: intent.client_secret }), 400, 'validation_error', { param: 'card' });
    expect(await readIntent(intent.id)).toMatchObject({ status: 'created', attempts: 0, last_payment_error: null });
  });

  it('answers 404 to a confirm of an unknown intent', async () => {
    expectError(await publicApi('POST', `/api/public/payment-intents/pi_${base62(24)}/confirm`, { client_secret: 'x', card: card(VISA) }), 404, 'resource_not_found');
  });

  it('makes one payment out of 10 concurrent confirms; the others answer 409 invalid_state or 400 already_completed', async () => {
    const merchant = await onboardMerchant(gateway.url, 'Race Shop');
    const intent = await createIntent({ customer_email: 'b@example.com' }, merchant.call);
    const answers = await Promise.all(Array.from({ length: 10 }, () => confirm(intent)));

    const statuses = answers.map((a) => `${a.status} ${a.status === 200 ? 'ok' : a.body.error.code}`);
    expect(statuses.filter((s) => s === '200 ok')).toHaveLength(1);
    for (const s of statuses.filter((s) => s !== '200 ok')) expect(['409 invalid_state', '400 already_completed']).toContain(s);
    const transactions = await merchant.call('GET', '/api/v1/transactions?limit=100');
    expect(transactions.body.data).toHaveLength(1);
    expect(transactions.body.data[0]).toMatchObject({ type: 'sale', status: 'captured' });
    const paidId = answers.find((a) => a.status === 200)!.body.payment_id;
    expect(await readIntent(intent.id, merchant.call)).toMatchObject({ status: 'succeeded', payment_id: paidId, attempts: 1 });
  });
});

describe.concurrent('canceling an intent', () => {
  it('answers 200 canceled, then 409 invalid_state to a second cancel', async () => {
    const intent = await createIntent();
    const canceled = await api('POST', `/api/v1/payment-intents/${intent.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(Object.keys(canceled.body).sort()).toEqual(INTENT_KEYS);
    expect(canceled.body).toMatchObject({ id: intent.id, status: 'canceled' });
    expectError(await api('POST', `/api/v1/payment-intents/${intent.id}/cancel`), 409, 'invalid_state');
    expect((await readIntent(intent.id))['status']).toBe('canceled');
  });

  it('answers 400 already_completed for a succeeded intent and 409 invalid_state for a failed one', async () => {
    const paid = await createIntent({ customer_email: 'b@example.com' });
    await confirm(paid);
    expectError(await api('POST', `/api/v1/payment-intents/${paid.id}/cancel`), 400, 'already_completed');
    expect((await readIntent(paid.id))['status']).toBe('succeeded');

    const failed = await createIntent({ customer_email: 'b@example.com' });
    for (let i = 0; i < 5; i++) await confirm(failed, DECLINED);
    expectError(await api('POST', `/api/v1/payment-intents/${failed.id}/cancel`), 409, 'invalid_state');
    expect((await readIntent(failed.id))['status']).toBe('failed');
  });

  it('records payment_intent.created, .succeeded and .canceled events without the client secret', async () => {
    const paid = await createIntent({ customer_email: 'b@example.com' });
    await confirm(paid);
    const dropped = await createIntent();
    await api('POST', `/api/v1/payment-intents/${dropped.id}/cancel`);

    const typesOf = async (id: string) => {
      const all: string[] = [];
      for (const type of ['payment_intent.created', 'payment_intent.succeeded', 'payment_intent.canceled']) {
        const page = await api('GET', `/api/v1/events?type=${type}&limit=100`);
        expect(JSON.stringify(page.body)).not.toContain('_secret_');
        all.push(...(page.body.data as Array<{ type: string; data: { object: { id: string } } }>).filter((e) => e.data.object.id === id).map((e) => e.type));
      }
      return all.sort();
    };
    expect(await typesOf(paid.id)).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
    expect(await typesOf(dropped.id)).toEqual(['payment_intent.canceled', 'payment_intent.created']);
  });
});

describe.concurrent('the hosted checkout page', () => {
  it('answers text/html with a strict Content-Security-Policy and the security headers, and loads nothing from elsewhere', async () => {
    const intent = await createIntent();
    const page = await raw(`${gateway.url}/checkout/${intent.id}?client_secret=${intent.client_secret}`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = (page.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim());
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp.join(';')).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(page.text).toContain(`data-intent-id="${intent.id}"`);
    expect(page.text).toContain('<script defer src="/checkout/assets/checkout.js"></script>');
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)/); // no inline script
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from another origin
    expect(page.text).not.toContain(intent.client_secret);

    const script = await raw(`${gateway.url}/checkout/assets/checkout.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(script.text).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)[a-z]/i);
    const style = await raw(`${gateway.url}/checkout/assets/checkout.css`);
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(style.text).not.toMatch(/url\(|@import/);
    expect((await raw(`${gateway.url}/checkout/assets/other.js`)).status).toBe(404);
    expect((await raw(`${gateway.url}/checkout/not-an-intent`)).status).toBe(404);
  });

  it('redirects the cancel link 303 to cancel_url with the right secret, 401 without, and leaves the intent open', async () => {
    const intent = await createIntent({ cancel_url: 'https://shop.example/cart?step=2' });
    const cancel = await raw(`${gateway.url}/checkout/${intent.id}/cancel?client_secret=${encodeURIComponent(intent.client_secret)}`);
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toBe('https://shop.example/cart?step=2');
    expect(cancel.headers.get('cache-control')).toBe('no-store');

    const denied = await raw(`${gateway.url}/checkout/${intent.id}/cancel`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('location')).toBeNull();
    expect((JSON.parse(denied.text) as { error: { code: string } }).error.code).toBe('invalid_client_secret');
    const wrong = await raw(`${gateway.url}/checkout/${intent.id}/cancel?client_secret=${intent.client_secret}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('location')).toBeNull();

    expect((await readIntent(intent.id))['status']).toBe('created');
    const defaulted = await createIntent({ success_url: 'https://shop.example/back' });
    const back = await raw(`${gateway.url}/checkout/${defaulted.id}/cancel?client_secret=${defaulted.client_secret}`);
    expect(back.headers.get('location')).toBe('https://shop.example/back');
  });
});

describe('expiry (INTENT_TTL_SECONDS=3)', () => {
  it('expires an intent after its TTL: GET shows expired, confirm answers 410 intent_expired, cancel 409 invalid_state', async () => {
    const call = checkedClient(shortLived.url, shortLived.apiKey);
    const anyone = checkedClient(shortLived.url);
    const created = await call('POST', '/api/v1/payment-intents', intentBody({ customer_email: 'b@example.com' }));
    expect(created.status).toBe(201);
    const intent = created.body as Intent;
    const expiresAt = Date.parse(intent['expires_at'] as string);
    expect(expiresAt - Date.parse(intent['created_at'] as string)).toBe(3000);

    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 300));

    expect((await call('GET', `/api/v1/payment-intents/${intent.id}`)).body.status).toBe('expired');
    expect((await anyone('GET', `/api/public/payment-intents/${intent.id}?client_secret=${intent.client_secret}`)).body.status).toBe('expired');
    expectError(await confirm(intent, VISA, {}, anyone), 410, 'intent_expired');
    expectError(await confirm(intent, DECLINED, {}, anyone), 410, 'intent_expired');
    expectError(await call('POST', `/api/v1/payment-intents/${intent.id}/cancel`), 409, 'invalid_state');
    const after = await call('GET', `/api/v1/payment-intents/${intent.id}`);
    expect(after.body).toMatchObject({ status: 'expired', attempts: 0, payment_id: null });
    expect((await call('GET', '/api/v1/transactions?limit=100')).body.data).toHaveLength(0);
  });
});
