/**
 * Transactions (API.md, "Transactions") and idempotency keys (API.md, "Idempotency") over HTTP.
 * Each scenario runs on its own merchant, onboarded through the admin API, so that counting its
 * transactions counts exactly what the scenario created.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import {
  EXP_YEAR,
  UNTHROTTLED,
  allTransactions,
  base62,
  card,
  expectError,
  onboardMerchant,
  paymentBody,
  uniqueKey,
  type Answer,
  type Call,
  type OnboardedMerchant,
} from './helpers.ts';

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGatewayProcess(UNTHROTTLED);
});

afterAll(async () => {
  await gateway?.stop();
  if (gateway) rmSync(gateway.dataDir, { recursive: true, force: true });
});

const merchant = (name: string) => onboardMerchant(gateway.url, name);
const withKey = (key: string) => ({ 'idempotency-key': key });
const replayed = (answer: Answer) => answer.headers.get('idempotent-replayed');

describe.concurrent('transactions', () => {
  let shop: OnboardedMerchant;
  /** What the scenario wrote, oldest first: [type, status, amount, payment id]. */
  const written: Array<[string, string, number, string]> = [];

  beforeAll(async () => {
    shop = await merchant('Ledger Shop');
    const call = shop.call;
    const ok = async (answer: Promise<Answer>, status = 200) => {
      const a = await answer;
      expect(a.status, JSON.stringify(a.body)).toBe(status);
      return a.body as { id: string };
    };
    const a = await ok(call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 1000 })), 201);
    written.push(['authorize', 'authorized', 1000, a.id]);
    await ok(call('POST', `/api/v1/payments/${a.id}/capture`, { amount: 600 }));
    written.push(['capture', 'captured', 600, a.id]);
    const b = await ok(call('POST', '/api/v1/payments/sale', paymentBody({ amount: 2000, currency: 'EUR' })), 201);
    written.push(['sale', 'captured', 2000, b.id]);
    await ok(call('POST', `/api/v1/payments/${b.id}/refund`, { amount: 500, reason: 'late delivery' }));
    written.push(['refund', 'refunded', 500, b.id]);
    const c = await ok(call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 300 })), 201);
    written.push(['authorize', 'authorized', 300, c.id]);
    await ok(call('POST', `/api/v1/payments/${c.id}/void`, { reason: 'out of stock' }));
    written.push(['void', 'voided', 300, c.id]);
    const declined = await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 400, card: card('4000000000000002') }));
    expect(declined.status).toBe(402);
    written.push(['authorize', 'failed', 400, declined.body.error.payment_id as string]);
    await ok(call('POST', `/api/v1/payments/${b.id}/refund`));
    written.push(['refund', 'refunded', 1500, b.id]);
  });

  const summary = (data: Array<Record<string, unknown>>) => data.map((t) => [t['type'], t['status'], t['amount'], t['payment_id']]);
  const list = async (query: string) => {
    const answer = await shop.call('GET', `/api/v1/transactions${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as { object: string; data: Array<Record<string, unknown>>; limit: number; offset: number; has_more: boolean };
  };

  it('lists every transaction of the merchant, newest first, in the list shape with limit 10 by default', async () => {
    const page = await list('');
    expect(page).toMatchObject({ object: 'list', limit: 10, offset: 0, has_more: false });
    expect(Object.keys(page).sort()).toEqual(['data', 'has_more', 'limit', 'object', 'offset']);
    expect(summary(page.data)).toEqual([...written].reverse());
    const times = page.data.map((t) => Date.parse(t['created_at'] as string));
    expect(times).toEqual([...times].sort((x, y) => y - x));
  });

  it('shows each transaction with its id, payment, type, status, amount, currency, reason and codes', async () => {
    const [lastRefund, decline, voided] = (await list('')).data;
    expect(lastRefund).toEqual({
      id: expect.stringMatching(/^txn_[0-9A-Za-z]{20,}$/),
      object: 'transaction',
      payment_id: written[7]![3],
      type: 'refund',
      status: 'refunded',
      amount: 1500,
      currency: 'EUR',
      reason: null,
      response_code: null,
      decline_code: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(decline).toMatchObject({ type: 'authorize', status: 'failed', response_code: '05', decline_code: 'do_not_honor', currency: 'USD' });
    expect(voided).toMatchObject({ type: 'void', status: 'voided', reason: 'out of stock' });
  });

  it('pages with limit and offset and says whether more follow', async () => {
    const all = (await list('?limit=100')).data.map((t) => t['id']);
    expect(all).toHaveLength(8);
    const first = await list('?limit=3');
    const second = await list('?limit=3&offset=3');
    const third = await list('?limit=3&offset=6');
    expect([first.has_more, second.has_more, third.has_more]).toEqual([true, true, false]);
    expect([first.offset, second.offset, third.offset]).toEqual([0, 3, 6]);
    expect(third.data).toHaveLength(2);
    expect([...first.data, ...second.data, ...third.data].map((t) => t['id'])).toEqual(all);
    expect((await list('?limit=7')).has_more).toBe(true);
    expect((await list('?limit=8')).has_more).toBe(false);
    expect(await list('?offset=8')).toMatchObject({ data: [], has_more: false });
  });

  it.each([
    ['authorized', [0, 4]],
    ['captured', [1, 2]],
    ['refunded', [3, 7]],
    ['voided', [5]],
    ['failed', [6]],
    ['expired', []],
  ])('filters by status=%s, newest first', async (status, indexes) => {
    const page = await list(`?status=${status}`);
    expect(summary(page.data)).toEqual(indexes.map((i) => written[i]).reverse());
    expect(page.has_more).toBe(false);
  });

  it('pages within a status filter', async () => {
    const page = await list('?status=refunded&limit=1');
    expect(summary(page.data)).toEqual([written[7]]);
    expect(page.has_more).toBe(true);
    expect(summary((await list('?status=refunded&limit=1&offset=1')).data)).toEqual([written[3]]);
  });

  it('returns one transaction by id, as the list shows it', async () => {
    for (const listed of (await list('')).data) {
      const answer = await shop.call('GET', `/api/v1/transactions/${listed['id']}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(listed);
    }
  });

  it("answers 404 to an unknown, a malformed or another merchant's transaction id", async () => {
    const [someone] = (await list('?limit=1')).data;
    const stranger = await merchant('Stranger Shop');
    expectError(await shop.call('GET', `/api/v1/transactions/txn_${base62(24)}`), 404, 'resource_not_found');
    expectError(await shop.call('GET', '/api/v1/transactions/txn_short'), 404, 'resource_not_found');
    expectError(await shop.call('GET', `/api/v1/transactions/${written[0]![3]}`), 404, 'resource_not_found');
    expectError(await stranger.call('GET', `/api/v1/transactions/${someone!['id']}`), 404, 'resource_not_found');
    expect(await allTransactions(stranger.call)).toEqual([]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=ten', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=x', 'offset'],
    ['status=settled', 'status'],
    ['status=CAPTURED', 'status'],
  ])('answers 400 to %s', async (query, param) => {
    expectError(await shop.call('GET', `/api/v1/transactions?${query}`), 400, 'validation_error', { param });
  });

  it('accepts the largest limit, 100', async () => {
    expect((await list('?limit=100')).limit).toBe(100);
    expect((await list('?limit=1')).data).toHaveLength(1);
  });
});

describe.concurrent('idempotency keys', () => {
  const count = async (call: Call) => (await allTransactions(call)).length;

  it('replays the first answer, same status and body, with Idempotent-Replayed: true, and creates nothing new', async () => {
    const { call } = await merchant('Replay Shop');
    const key = uniqueKey('authorize');
    const first = await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 5000 }), withKey(key));
    expect(first.status).toBe(201);
    expect(replayed(first)).toBeNull();

    // The same request with its keys in another order: bodies are compared as canonical JSON.
    const reordered = {
      card: { cvv: '123', exp_year: EXP_YEAR, exp_month: 12, number: '4242424242424242' },
      currency: 'USD',
      amount: 5000,
    };
    const again = await call('POST', '/api/v1/payments/authorize', reordered, withKey(key));
    expect(again.status).toBe(201);
    expect(replayed(again)).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await count(call)).toBe(1);
  });

  it('replays a sale, a capture and a refund without running them twice', async () => {
    const { call } = await merchant('Twice Shop');
    const saleKey = uniqueKey('sale');
    const sold = await call('POST', '/api/v1/payments/sale', paymentBody({ amount: 900 }), withKey(saleKey));
    const soldAgain = await call('POST', '/api/v1/payments/sale', paymentBody({ amount: 900 }), withKey(saleKey));
    expect([sold.status, soldAgain.status, replayed(soldAgain)]).toEqual([201, 201, 'true']);
    expect(soldAgain.body).toEqual(sold.body);

    const refundKey = uniqueKey('refund');
    for (let i = 0; i < 3; i++) {
      const refund = await call('POST', `/api/v1/payments/${sold.body.id}/refund`, { amount: 100 }, withKey(refundKey));
      expect(refund.status).toBe(200);
      expect(refund.body).toMatchObject({ amount_refunded: 100, status: 'partially_refunded' });
    }

    const authorized = await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 700 }));
    const captureKey = uniqueKey('capture');
    const captured = await call('POST', `/api/v1/payments/${authorized.body.id}/capture`, { amount: 300 }, withKey(captureKey));
    const capturedAgain = await call('POST', `/api/v1/payments/${authorized.body.id}/capture`, { amount: 300 }, withKey(captureKey));
    expect([captured.status, capturedAgain.status, replayed(capturedAgain)]).toEqual([200, 200, 'true']);
    expect(capturedAgain.body).toEqual(captured.body);

    expect((await call('GET', `/api/v1/payments/${sold.body.id}`)).body.amount_refunded).toBe(100);
    const types = (await allTransactions(call)).map((t) => t['type']);
    expect(types.sort()).toEqual(['authorize', 'capture', 'refund', 'sale']);
  });

  it('replays a 402 decline, with the same payment id, and keeps one failed payment', async () => {
    const { call } = await merchant('Declined Shop');
    const key = uniqueKey('decline');
    const body = paymentBody({ card: card('4000000000009995') });
    const first = await call('POST', '/api/v1/payments/authorize', body, withKey(key));
    expectError(first, 402, 'card_declined', { decline_code: 'insufficient_funds' });
    const again = await call('POST', '/api/v1/payments/authorize', body, withKey(key));
    expect(again.status).toBe(402);
    expect(replayed(again)).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await allTransactions(call)).toEqual([expect.objectContaining({ status: 'failed', payment_id: first.body.error.payment_id })]);
  });

  it('remembers a state error: the replay answers it again even after the payment changed', async () => {
    const { call } = await merchant('Early Refund Shop');
    const payment = await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 800 }));
    const key = uniqueKey('refund-too-early');
    const tooEarly = await call('POST', `/api/v1/payments/${payment.body.id}/refund`, {}, withKey(key));
    expectError(tooEarly, 400, 'not_captured');
    expect((await call('POST', `/api/v1/payments/${payment.body.id}/capture`)).status).toBe(200);
    const again = await call('POST', `/api/v1/payments/${payment.body.id}/refund`, {}, withKey(key));
    expect(again.status).toBe(400);
    expect(replayed(again)).toBe('true');
    expect(again.body).toEqual(tooEarly.body);
    expect((await call('GET', `/api/v1/payments/${payment.body.id}`)).body).toMatchObject({ status: 'captured', amount_refunded: 0 });
  });

  it('does not remember a validation 400: the same request runs again, and then a valid body succeeds', async () => {
    const { call } = await merchant('Validation Shop');
    const key = uniqueKey('invalid-amount');
    const invalid = paymentBody({ amount: 0 });
    const first = await call('POST', '/api/v1/payments/authorize', invalid, withKey(key));
    const second = await call('POST', '/api/v1/payments/authorize', invalid, withKey(key));
    for (const answer of [first, second]) {
      expectError(answer, 400, 'invalid_amount');
      expect(replayed(answer)).toBeNull();
    }
    expect(second.body.error.request_id).not.toBe(first.body.error.request_id);

    const valid = await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 10 }), withKey(key));
    expect(valid.status).toBe(201);
    expect(replayed(valid)).toBeNull();
    expect(await count(call)).toBe(1);
  });

  it('does not remember a card validation 400 either (a wrong Luhn digit, then the right card)', async () => {
    const { call } = await merchant('Typo Shop');
    const key = uniqueKey('typo');
    expectError(await call('POST', '/api/v1/payments/sale', paymentBody({ card: card('4242424242424241') }), withKey(key)), 400, 'invalid_card_number');
    const retried = await call('POST', '/api/v1/payments/sale', paymentBody(), withKey(key));
    expect(retried.status).toBe(201);
    expect(replayed(retried)).toBeNull();
    expect(await count(call)).toBe(1);
  });

  it('answers 409 idempotency_key_mismatch to the same key with a different body', async () => {
    const { call } = await merchant('Mismatch Shop');
    const key = uniqueKey('mismatch');
    expect((await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 1000 }), withKey(key))).status).toBe(201);
    expectError(await call('POST', '/api/v1/payments/authorize', paymentBody({ amount: 1001 }), withKey(key)), 409, 'idempotency_key_mismatch');
    expectError(await call('POST', '/api/v1/payments/authorize', paymentBody({ description: 'x' }), withKey(key)), 409, 'idempotency_key_mismatch');
    expect(await count(call)).toBe(1);
  });

  it('answers 409 idempotency_key_mismatch to the same key and body on another endpoint', async () => {
    const { call } = await merchant('Endpoint Shop');
    const key = uniqueKey('endpoint');
    const authorized = await call('POST', '/api/v1/payments/authorize', paymentBody(), withKey(key));
    expect(authorized.status).toBe(201);
    expectError(await call('POST', '/api/v1/payments/sale', paymentBody(), withKey(key)), 409, 'idempotency_key_mismatch');

    const captureKey = uniqueKey('capture');
    const other = await call('POST', '/api/v1/payments/authorize', paymentBody());
    expect((await call('POST', `/api/v1/payments/${authorized.body.id}/capture`, {}, withKey(captureKey))).status).toBe(200);
    expectError(await call('POST', `/api/v1/payments/${other.body.id}/capture`, {}, withKey(captureKey)), 409, 'idempotency_key_mismatch');
    expect((await call('GET', `/api/v1/payments/${other.body.id}`)).body.status).toBe('authorized');
  });

  it('scopes keys to the merchant: the same key on two merchants makes two payments', async () => {
    const [first, second] = await Promise.all([merchant('Left Shop'), merchant('Right Shop')]);
    const key = uniqueKey('shared');
    const a = await first.call('POST', '/api/v1/payments/authorize', paymentBody(), withKey(key));
    const b = await second.call('POST', '/api/v1/payments/authorize', paymentBody(), withKey(key));
    expect([a.status, b.status, replayed(a), replayed(b)]).toEqual([201, 201, null, null]);
    expect(a.body.id).not.toBe(b.body.id);
    expect((await second.call('GET', `/api/v1/payments/${b.body.id}`)).status).toBe(200);
    expect([await count(first.call), await count(second.call)]).toEqual([1, 1]);
  });

  it('answers 400 to an Idempotency-Key of 256 characters and accepts one of 255', async () => {
    const { call } = await merchant('Long Key Shop');
    expectError(await call('POST', '/api/v1/payments/authorize', paymentBody(), withKey('k'.repeat(256))), 400, 'validation_error');
    expect(await count(call)).toBe(0);
    const longest = `${base62(20)}${'k'.repeat(235)}`;
    const first = await call('POST', '/api/v1/payments/authorize', paymentBody(), withKey(longest));
    const again = await call('POST', '/api/v1/payments/authorize', paymentBody(), withKey(longest));
    expect([first.status, again.status, replayed(again)]).toEqual([201, 201, 'true']);
    expect(again.body.id).toBe(first.body.id);
  });

  it('lets one of ten concurrent identical requests run; the others wait their turn (409 in use) or get its replay', async () => {
    const { call } = await merchant('Rush Shop');
    const key = uniqueKey('rush');
    const body = paymentBody({ amount: 4200 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => call('POST', '/api/v1/payments/authorize', body, withKey(key))));

    const created = answers.filter((a) => a.status === 201);
    const inUse = answers.filter((a) => a.status === 409);
    expect(created.length + inUse.length, JSON.stringify(answers.map((a) => [a.status, a.body]))).toBe(10);
    for (const answer of inUse) expectError(answer, 409, 'idempotency_key_in_use');
    expect(created.filter((a) => replayed(a) === null)).toHaveLength(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);

    const after = await call('POST', '/api/v1/payments/authorize', body, withKey(key));
    expect([after.status, replayed(after), after.body.id]).toEqual([201, 'true', created[0]!.body.id]);
    expect(await allTransactions(call)).toEqual([expect.objectContaining({ type: 'authorize', payment_id: created[0]!.body.id })]);
  });

  it('reads keys only on POST: a GET with an Idempotency-Key answers as without one', async () => {
    const { call } = await merchant('Reader Shop');
    const key = uniqueKey('get');
    const payment = await call('POST', '/api/v1/payments/authorize', paymentBody(), withKey(key));
    const read = await call('GET', `/api/v1/payments/${payment.body.id}`, undefined, withKey(key));
    expect([read.status, replayed(read)]).toEqual([200, null]);
    expect(read.body).toEqual(payment.body);
    const listed = await call('GET', '/api/v1/transactions', undefined, withKey(key));
    expect([listed.status, replayed(listed), listed.body.data.length]).toEqual([200, null, 1]);
  });
});
