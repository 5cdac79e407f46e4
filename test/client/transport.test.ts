/**
 * The client over a scripted fetch: which operation each method calls, what it sends, when it
 * retries (and with which Idempotency-Key), and which error class each answer becomes. The same
 * behaviour against a real gateway (and a proxy that fails on purpose) is in gateway.test.ts and
 * retries.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  APIError,
  AuthenticationError,
  CardError,
  ConnectionError,
  IdempotencyError,
  InvalidRequestError,
  Paygate,
  PaygateError,
  RateLimitError,
  type FetchLike,
} from '../../client/src/index.ts';
import { OPERATIONS } from '../../client/src/generated/operations.ts';
import { ERROR_TYPES } from '../../shared/domain/errors.ts';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Scripted = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script (the last entry repeats) and records what was sent. */
function scriptedFetch(script: Scripted[]): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({ method: init.method, url, headers: { ...init.headers }, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const next = script[Math.min(sent.length - 1, script.length - 1)]!;
    if (next instanceof Error) throw next;
    return new Response(next.body === undefined ? '' : JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json', ...next.headers } });
  };
  return { fetch, sent };
}

const error = (status: number, type: string, code: string, extra: Record<string, unknown> = {}) => ({ status, body: { error: { type, code, message: `${code}.`, request_id: 'req_abc', ...extra } } });
const FAST = { initialRetryDelay: 1, maxRetryDelay: 5 };
const PAY = { amount: 1000, currency: 'USD', card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvv: '123' } };
const list = (data: Array<{ id: string }>, has_more: boolean) => ({ status: 200, body: { object: 'list', data, has_more, limit: 10, offset: 0 } });

describe('the typed client over a scripted fetch', () => {
  it('calls every operation a merchant key may call, each with its own method and path', async () => {
    const { fetch, sent } = scriptedFetch([list([], false)]);
    const paygate = new Paygate('sk_test_x', { baseUrl: 'http://gw.test/', fetch });
    await paygate.payments.authorize(PAY);
    await paygate.payments.sale(PAY);
    await paygate.payments.capture('pay_1', { amount: 5 });
    await paygate.payments.void('pay_1');
    await paygate.payments.refund('pay_1', { amount: 1 });
    await paygate.payments.retrieve('pay_1');
    await paygate.payments.list({ status: 'captured' });
    await paygate.paymentIntents.list({ limit: 3 });
    await paygate.testHelpers.expirePayment('pay_1');
    await paygate.testHelpers.expirePaymentIntent('pi_1');
    await paygate.paymentIntents.create({ amount: 5000, currency: 'EUR', success_url: 'https://shop.example/ok' });
    await paygate.paymentIntents.retrieve('pi_1');
    await paygate.paymentIntents.cancel('pi_1');
    await paygate.transactions.retrieve('txn_1');
    await paygate.transactions.list({ status: 'captured', limit: 5 });
    await paygate.webhookEndpoints.create({ url: 'https://shop.example/hook' });
    await paygate.webhookEndpoints.list();
    await paygate.webhookEndpoints.del('we_1');
    await paygate.webhookEndpoints.rotateSecret('we_1');
    await paygate.webhookDeliveries.list({ status: 'failed' });
    await paygate.webhookDeliveries.retry('wd_1');
    await paygate.events.list({ type: 'payment.captured' });
    await paygate.events.retrieve('evt_1');
    await paygate.fraud.retrieveSettings();
    await paygate.fraud.updateSettings({ review_above: 40 });
    await paygate.fraud.listBlockList();
    await paygate.fraud.block({ type: 'email', value: 'tester@example.com' });
    await paygate.fraud.unblock('bl_1');

    const called = sent.map((s) => `${s.method} ${new URL(s.url).pathname}`);
    // The id each call above passes, by the path's resource (under test_helpers/ and fraud/, the segment after).
    const ids: Record<string, string> = { payments: 'pay_1', 'payment-intents': 'pi_1', transactions: 'txn_1', 'webhook-endpoints': 'we_1', 'webhook-deliveries': 'wd_1', events: 'evt_1', 'block-list': 'bl_1' };
    const resourceOf = (path: string) => {
      const segments = path.split('/');
      return ['test_helpers', 'fraud'].includes(segments[3]!) ? segments[4]! : segments[3]!;
    };
    const expected = Object.values(OPERATIONS).map((op) => `${op.method} ${op.path.replace('{id}', ids[resourceOf(op.path)]!)}`);
    // A route added to the table (and so to the generated operations) without a client method fails here.
    expect(new Set(called)).toEqual(new Set(expected));
    expect(sent.find((s) => s.url.includes('/transactions?'))!.url).toBe('http://gw.test/api/v1/transactions?status=captured&limit=5');
    expect(sent[2]!.body).toEqual({ amount: 5 });
    expect(sent[0]!.headers['Authorization']).toBe('Bearer sk_test_x');
    // An Idempotency-Key on every POST under /api/v1/, a new one per logical call; none on GET and DELETE.
    const keys = sent.filter((s) => s.method === 'POST').map((s) => s.headers['Idempotency-Key']);
    expect(keys.every((k) => typeof k === 'string' && k.length > 0)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    expect(sent.filter((s) => s.method !== 'POST').every((s) => !('Idempotency-Key' in s.headers))).toBe(true);
  });

  it.each([
    ['a 503', [error(503, 'api_error', 'service_unavailable')]],
    ['a 500', [error(500, 'api_error', 'internal_error')]],
    ['a 429', [{ ...error(429, 'rate_limit_error', 'rate_limit_exceeded'), headers: { 'retry-after': '0' } }]],
    ['a 409 idempotency_key_in_use', [error(409, 'idempotency_error', 'idempotency_key_in_use')]],
    ['a network error', [new TypeError('fetch failed')]],
  ])('retries %s with the same Idempotency-Key, then answers', async (_, failures) => {
    const { fetch, sent } = scriptedFetch([...(failures as Scripted[]), ...(failures as Scripted[]), { status: 201, body: { id: 'pay_1' } }]);
    const paygate = new Paygate('sk_test_x', { ...FAST, fetch });
    await expect(paygate.payments.authorize(PAY)).resolves.toEqual({ id: 'pay_1' });
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((s) => s.headers['Idempotency-Key'])).size).toBe(1);
  });

  it('keeps the Idempotency-Key it is given', async () => {
    const { fetch, sent } = scriptedFetch([error(503, 'api_error', 'service_unavailable'), { status: 200, body: {} }]);
    await new Paygate('sk_test_x', { ...FAST, fetch }).payments.capture('pay_1', {}, { idempotencyKey: 'order-7-capture' });
    expect(sent.map((s) => s.headers['Idempotency-Key'])).toEqual(['order-7-capture', 'order-7-capture']);
  });

  it('gives up after maxRetries retries and throws the last error', async () => {
    const { fetch, sent } = scriptedFetch([error(503, 'api_error', 'service_unavailable')]);
    const failed = new Paygate('sk_test_x', { ...FAST, maxRetries: 3, fetch }).payments.retrieve('pay_1');
    await expect(failed).rejects.toBeInstanceOf(APIError);
    expect(sent).toHaveLength(4);
    const none = scriptedFetch([new TypeError('fetch failed')]);
    await expect(new Paygate('sk_test_x', { ...FAST, maxRetries: 0, fetch: none.fetch }).payments.retrieve('pay_1')).rejects.toBeInstanceOf(ConnectionError);
    expect(none.sent).toHaveLength(1);
  });

  it.each([
    [error(400, 'invalid_request_error', 'validation_error', { param: 'amount' }), InvalidRequestError],
    [error(402, 'card_error', 'card_declined', { decline_code: 'insufficient_funds', payment_id: 'pay_9' }), CardError],
    [error(401, 'authentication_error', 'invalid_api_key'), AuthenticationError],
    [error(404, 'invalid_request_error', 'resource_not_found'), InvalidRequestError],
    [error(409, 'idempotency_error', 'idempotency_key_mismatch'), IdempotencyError],
    [error(409, 'invalid_request_error', 'invalid_state'), InvalidRequestError],
  ])('never retries a %j, and throws it as its class', async (answer, Class) => {
    const { fetch, sent } = scriptedFetch([answer, { status: 201, body: {} }]);
    const thrown = await new Paygate('sk_test_x', { ...FAST, fetch }).payments.authorize(PAY).catch((e: unknown) => e);
    expect(sent).toHaveLength(1);
    expect(thrown).toBeInstanceOf(Class);
    expect(thrown).toBeInstanceOf(PaygateError);
    expect(thrown).toMatchObject({ status: answer.status, type: answer.body.error.type, code: answer.body.error.code, request_id: 'req_abc', ...('decline_code' in answer.body.error ? { decline_code: 'insufficient_funds', payment_id: 'pay_9' } : {}) });
  });

  it('waits out a 429’s Retry-After before retrying, and throws RateLimitError when retries run out', async () => {
    const { fetch, sent } = scriptedFetch([{ ...error(429, 'rate_limit_error', 'rate_limit_exceeded'), headers: { 'retry-after': '1' } }]);
    const started = Date.now();
    const thrown = await new Paygate('sk_test_x', { ...FAST, maxRetries: 1, fetch }).transactions.retrieve('txn_1').catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(sent).toHaveLength(2);
    expect(thrown).toBeInstanceOf(RateLimitError);
    expect(thrown).toMatchObject({ retry_after: 1, status: 429 });
  });

  it.each(ERROR_TYPES)('throws %s as a class of its own', async (type) => {
    const { fetch } = scriptedFetch([error(400, type, 'x')]);
    const thrown = await new Paygate('sk_test_x', { fetch, maxRetries: 0 }).payments.retrieve('pay_1').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PaygateError);
    expect((thrown as Error).constructor).not.toBe(PaygateError);
    expect(thrown).toMatchObject({ type, name: { card_error: 'CardError', invalid_request_error: 'InvalidRequestError', authentication_error: 'AuthenticationError', rate_limit_error: 'RateLimitError', idempotency_error: 'IdempotencyError', api_error: 'APIError' }[type] });
  });

  it('times out an attempt that gets no answer, and retries it', async () => {
    let calls = 0;
    const fetch: FetchLike = (_url, init) => {
      calls++;
      if (calls === 1) return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return Promise.resolve(new Response('{"id":"pay_1"}', { status: 200 }));
    };
    await expect(new Paygate('sk_test_x', { ...FAST, timeout: 50, fetch }).payments.retrieve('pay_1')).resolves.toEqual({ id: 'pay_1' });
    expect(calls).toBe(2);
    const never: FetchLike = (_url, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    await expect(new Paygate('sk_test_x', { ...FAST, timeout: 20, maxRetries: 0, fetch: never }).payments.retrieve('pay_1')).rejects.toMatchObject({ name: 'ConnectionError', code: 'timeout' });
  });

  it('pages by offset where the list takes no cursor, and by starting_after where it does', async () => {
    const byOffset = scriptedFetch([list([{ id: 'txn_3' }, { id: 'txn_2' }], true), list([{ id: 'txn_1' }], false)]);
    const ids = (await new Paygate('sk_test_x', { fetch: byOffset.fetch }).transactions.list({ limit: 2 }).toArray()).map((t) => t.id);
    expect(ids).toEqual(['txn_3', 'txn_2', 'txn_1']);
    const transactionsCursor = OPERATIONS.listTransactions.cursor as boolean;
    expect(new URL(byOffset.sent[1]!.url).search).toBe(transactionsCursor ? '?limit=2&starting_after=txn_2' : '?limit=2&offset=2');
    const byCursor = scriptedFetch([list([{ id: 'wd_3' }, { id: 'wd_2' }], true), list([{ id: 'wd_1' }], false)]);
    const deliveries = await new Paygate('sk_test_x', { fetch: byCursor.fetch }).webhookDeliveries.list({ limit: 2 }).toArray({ limit: 2 });
    expect(deliveries.map((d) => d.id)).toEqual(['wd_3', 'wd_2']);
    expect(byCursor.sent).toHaveLength(1);
    const whole = scriptedFetch([list([{ id: 'wd_3' }, { id: 'wd_2' }], true), list([{ id: 'wd_1' }], false)]);
    expect(await new Paygate('sk_test_x', { fetch: whole.fetch }).webhookDeliveries.list({ limit: 2 }).toArray()).toHaveLength(3);
    expect(new URL(whole.sent[1]!.url).search).toBe('?limit=2&starting_after=wd_2');
  });
});
