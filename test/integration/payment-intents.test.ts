/**
 * Payment intents (API.md, "Payment intents") against DynamoDB Local: every rule of the lifecycle,
 * asserted on what is stored, and the races of concurrent confirms settled by the database.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { cancelIntent, confirmIntent, createIntent, getIntent, getPublicIntent, type NewIntent } from '../../shared/commands/intents.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { ApiError } from '../../shared/domain/errors.ts';
import type { PaymentIntent } from '../../shared/domain/intents.ts';
import type { Payment } from '../../shared/domain/payment.ts';
import { intentView, publicIntentView } from '../../shared/domain/views.ts';
import type { Issuer, IssuerRequest, IssuerResponse } from '../../shared/ports.ts';
import { localClient } from '../../lib/local/dynamodb-local.ts';
import { apiError, testDependencies, VISA, type TestDependencies } from '../support/deps.ts';

const DECLINED = { ...VISA, number: '4000000000009995' }; // insufficient_funds
const BAD_LUHN = { ...VISA, number: '4242424242424241' };
const HOUR_MS = 3_600_000;

let deps: TestDependencies;

beforeAll(async () => {
  deps = await testDependencies();
});

/** A merchant of its own per test, so counting its payments and events counts only the test's. */
async function newMerchant(name = 'Intent Merchant'): Promise<string> {
  return (await createMerchant(deps, name)).merchant.id;
}

function intentInput(overrides: Partial<NewIntent> = {}): NewIntent {
  return {
    amount: 9999,
    currency: 'USD',
    successUrl: 'https://shop.example/thanks?order=42',
    cancelUrl: null,
    orderId: 'order-42',
    description: 'Two tickets',
    captureMethod: 'automatic',
    customerEmail: 'buyer@example.com',
    metadata: { cart: 'c_1' },
    ...overrides,
  };
}

async function newIntent(merchantId: string, overrides: Partial<NewIntent> = {}) {
  return createIntent(deps, merchantId, intentInput(overrides));
}

async function stored(intentId: string): Promise<PaymentIntent> {
  const intent = await deps.store.getIntent(null, intentId);
  if (!intent) throw new Error(`intent ${intentId} is not stored`);
  return intent;
}

/** Every payment stored for the merchant that belongs to the intent (through its transactions). */
async function paymentsOf(merchantId: string, intentId: string): Promise<Payment[]> {
  const transactions = await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 });
  expect(transactions.hasMore).toBe(false);
  const ids = [...new Set(transactions.items.map((t) => t.paymentId))];
  const payments = await Promise.all(ids.map((id) => deps.store.getPayment(merchantId, id)));
  return payments.filter((p): p is Payment => p !== null && p.paymentIntentId === intentId);
}

async function eventsOf(merchantId: string) {
  const page = await deps.store.listEvents(merchantId, { limit: 100, offset: 0 });
  expect(page.hasMore).toBe(false);
  return page.items;
}


function settle<T>(promises: Promise<T>[]) {
  return Promise.allSettled(promises).then((results) => ({
    answers: results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value),
    errors: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown),
  }));
}

const codeOf = (error: unknown) => (error instanceof ApiError ? `${error.status} ${error.code}` : `not an ApiError: ${String(error)}`);

/** An issuer that holds its first authorization until the test lets it go (the others pass at once). */
function gatedIssuer(inner: Issuer) {
  let release!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (entered = r));
  let calls = 0;
  const issuer: Issuer = {
    async authorize(request: IssuerRequest): Promise<IssuerResponse> {
      calls += 1;
      if (calls === 1) {
        entered();
        await gate;
      }
      return inner.authorize(request);
    },
  };
  return { issuer, release, reached, calls: () => calls };
}

describe('creating a payment intent', () => {
  it('stores a created intent with the defaults: cancel_url = success_url, 5 attempts, expiry one intent TTL after creation', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);

    expect(intent.id).toMatch(/^pi_[0-9A-Za-z]+$/);
    expect(clientSecret).toMatch(new RegExp(`^${intent.id}_secret_[0-9A-Za-z]{40}$`));
    const saved = await stored(intent.id);
    expect(saved).toMatchObject({
      merchantId,
      status: 'created',
      amount: 9999,
      currency: 'USD',
      successUrl: 'https://shop.example/thanks?order=42',
      cancelUrl: 'https://shop.example/thanks?order=42',
      captureMethod: 'automatic',
      paymentId: null,
      attempts: 0,
      maxAttempts: 5,
      lastPaymentError: null,
      confirmingUntil: null,
    });
    expect(saved.createdAt).toBe(deps.clock.now().toISOString());
    expect(Date.parse(saved.expiresAt) - Date.parse(saved.createdAt)).toBe(deps.settings.intentTtlSeconds * 1000);
    expect(Date.parse(saved.expiresAt) - Date.parse(saved.createdAt)).toBe(HOUR_MS);

    const view = intentView(saved, deps.clock.now(), clientSecret, deps.settings.publicUrl);
    expect(view).toMatchObject({ object: 'payment_intent', status: 'created', capture_method: 'automatic', max_attempts: 5, attempts: 0 });
    expect(view.checkout_url).toBe(`${deps.settings.publicUrl}/checkout/${intent.id}?client_secret=${encodeURIComponent(clientSecret)}`);
  });

  it('keeps an explicit cancel_url and a manual capture method', async () => {
    const merchantId = await newMerchant();
    const { intent } = await newIntent(merchantId, { cancelUrl: 'https://shop.example/cart', captureMethod: 'manual' });
    expect(await stored(intent.id)).toMatchObject({ cancelUrl: 'https://shop.example/cart', captureMethod: 'manual' });
  });

  it('derives the client secret and never stores it anywhere in the table', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });

    const secretPart = clientSecret.split('_secret_')[1]!;
    const scan = await localClient(inject('dynamoEndpoint'), inject('dynamoCredentials')).send(new ScanCommand({ TableName: deps.tableName }));
    const table = JSON.stringify(scan.Items);
    expect(table).toContain(intent.id);
    expect(table).not.toContain(secretPart);
  });

  it('shows an intent only to its own merchant', async () => {
    const merchantId = await newMerchant();
    const other = await newMerchant('Other Merchant');
    const { intent } = await newIntent(merchantId);
    expect((await getIntent(deps, merchantId, intent.id)).id).toBe(intent.id);
    expect(codeOf(await apiError(getIntent(deps, other, intent.id)))).toBe('404 resource_not_found');
    expect(codeOf(await apiError(cancelIntent(deps, other, intent.id)))).toBe('404 resource_not_found');
    expect((await stored(intent.id)).status).toBe('created');
  });
});

describe('the client secret', () => {
  it('opens the public view with the right secret and the merchant name', async () => {
    const merchantId = await newMerchant('Acme Tickets');
    const { intent, clientSecret } = await newIntent(merchantId);
    const { intent: read, merchantName } = await getPublicIntent(deps, intent.id, clientSecret);
    expect(read.id).toBe(intent.id);
    expect(merchantName).toBe('Acme Tickets');
    expect(Object.keys(publicIntentView(read, deps.clock.now(), merchantName)).sort()).toEqual(
      ['amount', 'currency', 'customer_email', 'description', 'expires_at', 'id', 'merchant_name', 'object', 'status'],
    );
  });

  it('answers 401 invalid_client_secret for a wrong, missing, truncated or another intent\'s secret, on reads and confirms', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const { clientSecret: otherSecret } = await newIntent(merchantId);
    const lastChar = clientSecret.at(-1) === 'A' ? 'B' : 'A';
    const wrongSecrets = [undefined, '', 'nope', `${intent.id}_secret_`, clientSecret.slice(0, -1), clientSecret.slice(0, -1) + lastChar, otherSecret, `${clientSecret}x`];

    for (const secret of wrongSecrets) {
      expect(codeOf(await apiError(getPublicIntent(deps, intent.id, secret))), `read with ${String(secret)}`).toBe('401 invalid_client_secret');
      expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret: secret, card: VISA, customerEmail: null }))), `confirm with ${String(secret)}`)
        .toBe('401 invalid_client_secret');
    }
    const saved = await stored(intent.id);
    expect(saved).toMatchObject({ status: 'created', attempts: 0, confirmingUntil: null, version: 1 });
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(0);
  });

  it('answers 404 for an intent that does not exist, secret or not', async () => {
    expect(codeOf(await apiError(getPublicIntent(deps, 'pi_doesnotexist000000000', 'x')))).toBe('404 resource_not_found');
    expect(codeOf(await apiError(confirmIntent(deps, 'pi_doesnotexist000000000', { clientSecret: 'x', card: VISA, customerEmail: null })))).toBe('404 resource_not_found');
  });
});

describe('confirming a payment intent', () => {
  it('captures the payment of an automatic intent and stores the succeeded intent pointing at it', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);

    const result = await confirmIntent(deps, intent.id, { clientSecret, card: { ...VISA, holderName: 'Ada Lovelace' }, customerEmail: null });

    expect(result.payment.status).toBe('captured');
    expect(result.redirectUrl).toBe(`https://shop.example/thanks?order=42&payment_intent=${intent.id}`);
    const saved = await stored(intent.id);
    expect(saved).toMatchObject({ status: 'succeeded', paymentId: result.payment.id, attempts: 1, lastPaymentError: null, confirmingUntil: null });
    const payment = await deps.store.getPayment(merchantId, result.payment.id);
    expect(payment).toMatchObject({
      status: 'captured',
      amount: 9999,
      currency: 'USD',
      amountCaptured: 9999,
      paymentIntentId: intent.id,
      description: 'Two tickets',
      metadata: { cart: 'c_1' },
      customer: { email: 'buyer@example.com', name: 'Ada Lovelace' },
    });
    expect(payment?.card.last4).toBe('4242');
    const transactions = (await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 })).items;
    expect(transactions).toHaveLength(1);
    expect(transactions[0]).toMatchObject({ paymentId: result.payment.id, type: 'sale', status: 'captured', amount: 9999 });
    expect(intentView(saved, deps.clock.now(), null, deps.settings.publicUrl)).toMatchObject({ status: 'succeeded', payment_id: result.payment.id });
  });

  it('only authorizes the payment of a manual intent', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId, { captureMethod: 'manual' });

    const result = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });

    const payment = await deps.store.getPayment(merchantId, result.payment.id);
    expect(payment).toMatchObject({ status: 'authorized', amountCapturable: 9999, amountCaptured: 0, paymentIntentId: intent.id });
    expect(await stored(intent.id)).toMatchObject({ status: 'succeeded', paymentId: result.payment.id });
    const transactions = (await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 })).items;
    expect(transactions.map((t) => `${t.type}:${t.status}`)).toEqual(['authorize:authorized']);
  });

  it('replaces {CHECKOUT_SESSION_ID} in success_url and adds payment_intent to its query', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId, { successUrl: 'https://shop.example/done/{CHECKOUT_SESSION_ID}?ref={CHECKOUT_SESSION_ID}' });
    const { redirectUrl } = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    const url = new URL(redirectUrl);
    expect(url.pathname).toBe(`/done/${intent.id}`);
    expect(url.searchParams.get('ref')).toBe(intent.id);
    expect(url.searchParams.get('payment_intent')).toBe(intent.id);
  });

  it('counts a decline as an attempt, keeps the intent created with last_payment_error, and stores the failed payment linked to it', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);

    const error = await apiError(confirmIntent(deps, intent.id, { clientSecret, card: DECLINED, customerEmail: null }));

    expect(error).toMatchObject({ status: 402, code: 'card_declined', details: { declineCode: 'insufficient_funds' } });
    const saved = await stored(intent.id);
    expect(saved).toMatchObject({
      status: 'created',
      attempts: 1,
      paymentId: null,
      confirmingUntil: null,
      lastPaymentError: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    });
    const payments = await paymentsOf(merchantId, intent.id);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ id: error.details.paymentId, status: 'failed', declineCode: 'insufficient_funds' });

    // The customer tries another card: it goes through, and the error is cleared.
    const paid = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    expect(await stored(intent.id)).toMatchObject({ status: 'succeeded', attempts: 2, paymentId: paid.payment.id, lastPaymentError: null });
    expect((await paymentsOf(merchantId, intent.id)).map((p) => p.status).sort()).toEqual(['captured', 'failed']);
  });

  it('fails the intent after the 5th declined attempt and answers 410 max_attempts_exceeded to the 6th, even with a good card', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);

    for (let attempt = 1; attempt <= 5; attempt++) {
      const error = await apiError(confirmIntent(deps, intent.id, { clientSecret, card: DECLINED, customerEmail: null }));
      expect(codeOf(error), `attempt ${attempt}`).toBe('402 card_declined');
      expect(await stored(intent.id)).toMatchObject({ attempts: attempt, status: attempt < 5 ? 'created' : 'failed' });
    }

    expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })))).toBe('410 max_attempts_exceeded');
    expect(await stored(intent.id)).toMatchObject({ status: 'failed', attempts: 5, paymentId: null });
    const payments = await paymentsOf(merchantId, intent.id);
    expect(payments).toHaveLength(5);
    expect(payments.every((p) => p.status === 'failed')).toBe(true);
  });

  it('answers 400 to card errors without taking an attempt or holding the intent', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const now = deps.clock.now();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const cases: Array<[typeof VISA, string]> = [
      [BAD_LUHN, '400 invalid_card_number'],
      [{ ...VISA, expYear: 2020 }, '400 invalid_expiry'],
      [{ ...VISA, expMonth: lastMonth.getUTCMonth() + 1, expYear: lastMonth.getUTCFullYear() }, '400 invalid_expiry'],
      [{ ...VISA, cvv: '12' }, '400 invalid_cvv'],
    ];
    for (const [card, code] of cases) {
      expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card, customerEmail: null }))), JSON.stringify(card)).toBe(code);
    }
    expect(await stored(intent.id)).toMatchObject({ status: 'created', attempts: 0, confirmingUntil: null, lastPaymentError: null, version: 1 });
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(0);
    await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    expect((await stored(intent.id)).attempts).toBe(1);
  });

  it('requires customer_email when the intent has none (400 validation_error, no attempt), and stores the one given', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId, { customerEmail: null });

    const error = await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error', details: { param: 'customer_email' } });
    expect(await stored(intent.id)).toMatchObject({ attempts: 0, confirmingUntil: null, customerEmail: null });

    const result = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: 'late@example.com' });
    expect(await stored(intent.id)).toMatchObject({ status: 'succeeded', customerEmail: 'late@example.com' });
    expect((await deps.store.getPayment(merchantId, result.payment.id))?.customer?.email).toBe('late@example.com');
  });

  it('returns the intent as it was committed (attempts, customer_email, no hold), not the held copy', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId, { customerEmail: null });
    const result = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: 'late@example.com' });
    const saved = await stored(intent.id);
    expect(result.intent).toMatchObject({ status: 'succeeded', paymentId: result.payment.id });
    expect({ customerEmail: result.intent.customerEmail, attempts: result.intent.attempts, confirmingUntil: result.intent.confirmingUntil, version: result.intent.version })
      .toEqual({ customerEmail: saved.customerEmail, attempts: saved.attempts, confirmingUntil: saved.confirmingUntil, version: saved.version });
  });

  it('uses the intent\'s own customer_email over one sent with the confirm', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId, { customerEmail: 'merchant-known@example.com' });
    const result = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: 'someone-else@example.com' });
    expect((await deps.store.getPayment(merchantId, result.payment.id))?.customer?.email).toBe('merchant-known@example.com');
    expect((await stored(intent.id)).customerEmail).toBe('merchant-known@example.com');
  });

  it('answers 400 already_completed to a confirm of a succeeded intent, and makes no second payment', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const first = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });

    expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })))).toBe('400 already_completed');
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(1);
    expect((await stored(intent.id)).paymentId).toBe(first.payment.id);
  });

  it('frees the intent when the issuer fails (no attempt taken), so the customer can try again', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const broken: Issuer = { authorize: () => Promise.reject(new Error('issuer unreachable')) };

    await expect(confirmIntent({ ...deps, issuer: broken }, intent.id, { clientSecret, card: VISA, customerEmail: null })).rejects.toThrow('issuer unreachable');

    expect(await stored(intent.id)).toMatchObject({ status: 'created', attempts: 0, confirmingUntil: null });
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(0);
    await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    expect((await stored(intent.id)).status).toBe('succeeded');
  });

  it('lets a confirmation hold left by a crashed confirm lapse after a minute', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const current = await stored(intent.id);
    const crashedHold = new Date(deps.clock.now().getTime() + 60_000).toISOString();
    await deps.store.updateIntent({ next: { ...current, confirmingUntil: crashedHold, version: current.version + 1 }, expectedVersion: current.version }, []);

    expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })))).toBe('409 invalid_state');
    expect(codeOf(await apiError(cancelIntent(deps, merchantId, intent.id)))).toBe('409 invalid_state');

    deps.clock.advance(61_000);
    await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    expect(await stored(intent.id)).toMatchObject({ status: 'succeeded', attempts: 1, confirmingUntil: null });
  });
});

describe('expiry', () => {
  it('answers 410 intent_expired from expires_at on, shows expired, and takes no payment', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const expiresAt = Date.parse((await stored(intent.id)).expiresAt);

    deps.clock.set(new Date(expiresAt));
    expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })))).toBe('410 intent_expired');
    deps.clock.advance(1000);
    expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })))).toBe('410 intent_expired');

    const saved = await getIntent(deps, merchantId, intent.id);
    expect(intentView(saved, deps.clock.now(), null, deps.settings.publicUrl).status).toBe('expired');
    const { intent: read, merchantName } = await getPublicIntent(deps, intent.id, clientSecret);
    expect(publicIntentView(read, deps.clock.now(), merchantName).status).toBe('expired');
    expect(saved).toMatchObject({ attempts: 0, paymentId: null, confirmingUntil: null });
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(0);
  });

  it('still takes a payment one second before expires_at', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    deps.clock.set(new Date(Date.parse((await stored(intent.id)).expiresAt) - 1000));
    await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    deps.clock.advance(HOUR_MS);
    expect(intentView(await stored(intent.id), deps.clock.now(), null, deps.settings.publicUrl).status).toBe('succeeded');
  });
});

describe('canceling a payment intent', () => {
  it('cancels a created intent, and then answers 409 invalid_state to a second cancel and 400 already_completed to a confirm', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);

    const canceled = await cancelIntent(deps, merchantId, intent.id);
    expect(canceled.status).toBe('canceled');
    expect(await stored(intent.id)).toMatchObject({ status: 'canceled', paymentId: null });

    expect(codeOf(await apiError(cancelIntent(deps, merchantId, intent.id)))).toBe('409 invalid_state');
    expect(codeOf(await apiError(confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })))).toBe('400 already_completed');
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(0);
    expect((await stored(intent.id)).status).toBe('canceled');
  });

  it('answers 400 already_completed for a succeeded intent and leaves it succeeded', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    expect(codeOf(await apiError(cancelIntent(deps, merchantId, intent.id)))).toBe('400 already_completed');
    expect((await stored(intent.id)).status).toBe('succeeded');
  });

  it('answers 409 invalid_state for an expired intent', async () => {
    const merchantId = await newMerchant();
    const { intent } = await newIntent(merchantId);
    deps.clock.advance(HOUR_MS + 1);
    expect(codeOf(await apiError(cancelIntent(deps, merchantId, intent.id)))).toBe('409 invalid_state');
    expect((await stored(intent.id)).status).toBe('created');
  });

  it('answers 409 invalid_state for a failed intent', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    for (let i = 0; i < 5; i++) await apiError(confirmIntent(deps, intent.id, { clientSecret, card: DECLINED, customerEmail: null }));
    expect((await stored(intent.id)).status).toBe('failed');
    expect(codeOf(await apiError(cancelIntent(deps, merchantId, intent.id)))).toBe('409 invalid_state');
    expect((await stored(intent.id)).status).toBe('failed');
  });

  it('answers 409 invalid_state while a confirmation is in flight, and the confirmation still succeeds', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const gated = gatedIssuer(deps.issuer);
    const confirming = confirmIntent({ ...deps, issuer: gated.issuer }, intent.id, { clientSecret, card: VISA, customerEmail: null });
    await gated.reached;

    expect(codeOf(await apiError(cancelIntent(deps, merchantId, intent.id)))).toBe('409 invalid_state');
    gated.release();
    await confirming;
    expect((await stored(intent.id)).status).toBe('succeeded');
  });
});

describe('events', () => {
  it('records payment_intent.created, .succeeded and .canceled, none of them carrying the client secret', async () => {
    const merchantId = await newMerchant();
    const paid = await newIntent(merchantId);
    const dropped = await newIntent(merchantId);
    const declinedThenPaid = await newIntent(merchantId, { customerEmail: null });
    await confirmIntent(deps, paid.intent.id, { clientSecret: paid.clientSecret, card: VISA, customerEmail: null });
    await cancelIntent(deps, merchantId, dropped.intent.id);
    await apiError(confirmIntent(deps, declinedThenPaid.intent.id, { clientSecret: declinedThenPaid.clientSecret, card: DECLINED, customerEmail: 'x@example.com' }));

    const events = await eventsOf(merchantId);
    const intentEvents = events
      .filter((e) => e.type.startsWith('payment_intent.'))
      .map((e) => ({ type: e.type, object: JSON.parse(e.objectJson) as Record<string, unknown> }));
    const about = (id: string) => intentEvents.filter((e) => e.object['id'] === id).map((e) => e.type).sort();
    expect(about(paid.intent.id)).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
    expect(about(dropped.intent.id)).toEqual(['payment_intent.canceled', 'payment_intent.created']);
    // A decline is a payment.failed event, not an intent event.
    expect(about(declinedThenPaid.intent.id)).toEqual(['payment_intent.created']);
    expect(events.filter((e) => e.type === 'payment.failed')).toHaveLength(1);

    const succeeded = intentEvents.find((e) => e.type === 'payment_intent.succeeded')!.object;
    expect(succeeded).toMatchObject({ status: 'succeeded', payment_id: (await stored(paid.intent.id)).paymentId, attempts: 1 });
    expect(intentEvents.find((e) => e.type === 'payment_intent.canceled')!.object).toMatchObject({ status: 'canceled' });
    for (const e of intentEvents) expect(e.object).toMatchObject({ client_secret: null, checkout_url: null });

    const everything = JSON.stringify(events);
    for (const secret of [paid.clientSecret, dropped.clientSecret, declinedThenPaid.clientSecret]) {
      expect(everything).not.toContain(secret.split('_secret_')[1]);
    }
    expect(everything).not.toContain('_secret_');
  });
});

describe('concurrent confirms of one intent', () => {
  it('makes exactly one payment out of 10 concurrent confirms; every other answer is 409 invalid_state or 400 already_completed', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);

    const { answers, errors } = await settle(
      Array.from({ length: 10 }, () => confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })),
    );

    expect(answers).toHaveLength(1);
    expect(errors).toHaveLength(9);
    for (const error of errors) expect(['409 invalid_state', '400 already_completed']).toContain(codeOf(error));
    const payments = await paymentsOf(merchantId, intent.id);
    expect(payments).toHaveLength(1);
    expect(payments[0]?.id).toBe(answers[0]?.payment.id);
    expect(await stored(intent.id)).toMatchObject({ status: 'succeeded', paymentId: answers[0]?.payment.id, attempts: 1, confirmingUntil: null });
    expect((await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 })).items).toHaveLength(1);
    expect((await eventsOf(merchantId)).filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
  });

  it('counts one attempt per declined confirm that actually ran, and never makes more than 5 failed payments', async () => {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const seen: string[] = [];

    for (let round = 0; round < 20 && (await stored(intent.id)).status === 'created'; round++) {
      const { answers, errors } = await settle(
        Array.from({ length: 10 }, () => confirmIntent(deps, intent.id, { clientSecret, card: DECLINED, customerEmail: null })),
      );
      expect(answers).toHaveLength(0);
      seen.push(...errors.map(codeOf));
      const declines = seen.filter((c) => c === '402 card_declined').length;
      expect((await stored(intent.id)).attempts, `after round ${round}`).toBe(declines);
    }

    const counts = seen.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
    expect(Object.keys(counts).every((c) => ['402 card_declined', '409 invalid_state', '410 max_attempts_exceeded'].includes(c)), JSON.stringify(counts)).toBe(true);
    expect(counts['402 card_declined']).toBe(5);
    const saved = await stored(intent.id);
    expect(saved).toMatchObject({ status: 'failed', attempts: 5, confirmingUntil: null, paymentId: null });
    const payments = await paymentsOf(merchantId, intent.id);
    expect(payments).toHaveLength(5);
    expect(payments.every((p) => p.status === 'failed')).toBe(true);

    const late = await settle(Array.from({ length: 10 }, () => confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null })));
    expect(late.errors.map(codeOf)).toEqual(Array(10).fill('410 max_attempts_exceeded'));
    expect(await paymentsOf(merchantId, intent.id)).toHaveLength(5);
  });

  /** A slow confirm whose hold lapses at the issuer while a second confirm pays the intent. */
  async function confirmOverLapsedHold() {
    const merchantId = await newMerchant();
    const { intent, clientSecret } = await newIntent(merchantId);
    const gated = gatedIssuer(deps.issuer);
    const slow = confirmIntent({ ...deps, issuer: gated.issuer }, intent.id, { clientSecret, card: VISA, customerEmail: null });
    await gated.reached;
    deps.clock.advance(61_000); // the slow confirm's hold lapses
    const fast = await confirmIntent(deps, intent.id, { clientSecret, card: VISA, customerEmail: null });
    gated.release();
    const late = await slow.then(() => 'answered' as const, (e: unknown) => e);
    return { merchantId, intent, fast, late };
  }

  it('refuses to commit a confirm whose hold lapsed after another confirm paid: one payment, and no trace of the late one', async () => {
    const { merchantId, intent, fast, late } = await confirmOverLapsedHold();

    expect(late).not.toBe('answered');
    const payments = await paymentsOf(merchantId, intent.id);
    expect(payments.map((p) => p.id)).toEqual([fast.payment.id]);
    expect((await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 })).items).toHaveLength(1);
    expect(await stored(intent.id)).toMatchObject({ status: 'succeeded', paymentId: fast.payment.id, attempts: 1 });
    const events = await eventsOf(merchantId);
    expect(events.filter((e) => e.type === 'payment.captured')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'payment_intent.succeeded')).toHaveLength(1);
  });

  it('answers the confirm that lost its lapsed hold in the API\'s words (400 already_completed or 409 invalid_state), not with an unhandled error', async () => {
    const { late } = await confirmOverLapsedHold();
    expect(['400 already_completed', '409 invalid_state']).toContain(codeOf(late));
  });
});

describe('idempotency of a conflict that clears', () => {
  it('does not remember a 409 from a confirmation in flight: the same key runs again once it is over', async () => {
    const { errors } = await import('../../shared/domain/errors.ts');
    expect(errors.busy('in flight').isRememberedByIdempotency).toBe(false);
    expect(errors.invalidState('refused').isRememberedByIdempotency).toBe(true);
    expect(errors.busy('in flight').toBody()).toEqual(errors.invalidState('in flight').toBody());
  });
});
