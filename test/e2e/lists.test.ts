/**
 * The lists over HTTP, as a merchant reads them (API.md, "Lists"): `GET /api/v1/payments` by each
 * filter, by cursor both ways and within a creation range; its 400s in the contract's error shape;
 * `GET /api/v1/payment-intents` without client secrets; transactions and events by cursor. Every
 * answer is also checked against the OpenAPI document (test/support/contract.ts).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { card, checkedClient, expectError, onboardMerchant, paymentBody, UNTHROTTLED, VISA, type Call, type OnboardedMerchant } from './helpers.ts';

const DECLINED = '4000000000000002';
const INSUFFICIENT = '4000000000009995';

type Listed = { id: string; created_at: string; [key: string]: unknown };
interface ListAnswer {
  object: string;
  data: Listed[];
  has_more: boolean;
}

let gateway: GatewayProcess;
let shop: OnboardedMerchant;
let other: OnboardedMerchant;
/** The shop's payments, newest first, as GET /api/v1/payments/{id} answers them now. */
let payments: Listed[];
let othersPaymentIds: string[];
let intentId: string;
let intentPaymentIds: string[];

const newestFirst = (a: Listed, b: Listed) => {
  const [x, y] = [`${a.created_at}#${a.id}`, `${b.created_at}#${b.id}`];
  return x < y ? 1 : x > y ? -1 : 0;
};
const ids = (data: Listed[]) => data.map((p) => p.id);
const query = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

async function list(call: Call, path: string, params: Record<string, string | number> = {}): Promise<ListAnswer> {
  const answer = await call('GET', `${path}?${query(params)}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body).toMatchObject({ object: 'list', data: expect.any(Array), has_more: expect.any(Boolean) });
  return answer.body as ListAnswer;
}

async function created(call: Call, path: string, body: unknown): Promise<string> {
  const answer = await call('POST', path, body);
  if (answer.status === 402) return answer.body.error.payment_id as string;
  expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
  return answer.body.id as string;
}

beforeAll(async () => {
  gateway = await startGatewayProcess({ ...UNTHROTTLED, RATE_LIMIT_PUBLIC_PER_SECOND: '1000000' });
  [shop, other] = await Promise.all([onboardMerchant(gateway.url, 'Lists Shop'), onboardMerchant(gateway.url, 'Another Shop')]);
  const call = shop.call;
  const made: string[] = [];
  const customers = [{ email: 'ann@example.com' }, { email: 'ANN@Example.COM' }, { email: 'bob@example.com' }, undefined];
  for (let i = 0; i < 14; i++) {
    const customer = customers[i % 4];
    const body = paymentBody({ amount: 1000 + i, ...(customer ? { customer } : {}), ...(i % 5 === 4 ? { card: card(DECLINED) } : {}) });
    made.push(await created(call, i % 3 === 0 ? '/api/v1/payments/sale' : '/api/v1/payments/authorize', body));
  }
  await created(call, `/api/v1/payments/${made[1]}/capture`, {});
  await created(call, `/api/v1/payments/${made[2]}/void`, {});
  await created(call, `/api/v1/payments/${made[3]}/refund`, { amount: 100 });
  await created(call, `/api/v1/payments/${made[6]}/refund`, {});

  // An intent paid at the third attempt: its two declines and its success are its payments.
  const intent = await call('POST', '/api/v1/payment-intents', { amount: 5000, currency: 'EUR', success_url: 'https://shop.example/thanks', customer_email: 'Ann@Example.com' });
  expect(intent.status).toBe(201);
  intentId = intent.body.id as string;
  const publicApi = checkedClient(gateway.url);
  intentPaymentIds = [];
  for (const number of [INSUFFICIENT, INSUFFICIENT, VISA]) {
    const answer = await publicApi('POST', `/api/public/payment-intents/${intentId}/confirm`, { client_secret: intent.body.client_secret, card: card(number) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(number === VISA ? 200 : 402);
    intentPaymentIds.push(number === VISA ? (answer.body.payment_id as string) : (answer.body.error.payment_id as string));
  }
  made.push(...intentPaymentIds);

  othersPaymentIds = [];
  for (const customer of [{ email: 'ann@example.com' }, { email: 'bob@example.com' }]) {
    othersPaymentIds.push(await created(other.call, '/api/v1/payments/sale', paymentBody({ customer })));
  }
  await created(other.call, '/api/v1/payment-intents', { amount: 5000, currency: 'EUR', success_url: 'https://shop.example/thanks' });

  payments = await Promise.all(
    made.map(async (id) => {
      const answer = await call('GET', `/api/v1/payments/${id}`);
      expect(answer.status).toBe(200);
      return answer.body as Listed;
    }),
  );
  payments.sort(newestFirst);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  if (gateway) rmSync(gateway.dataDir, { recursive: true, force: true });
});

describe('GET /api/v1/payments', () => {
  it('lists every payment of the merchant, newest first, as GET of each answers it, and none of another merchant’s', async () => {
    const page = await list(shop.call, '/api/v1/payments', { limit: 100 });
    expect(page.has_more).toBe(false);
    expect(page.data).toEqual(payments);
    expect(ids(page.data).filter((id) => othersPaymentIds.includes(id))).toEqual([]);
    const theirs = await list(other.call, '/api/v1/payments', { limit: 100 });
    expect(ids(theirs.data).sort()).toEqual([...othersPaymentIds].sort());
    // Ten by default.
    expect(await list(shop.call, '/api/v1/payments')).toEqual({ object: 'list', data: payments.slice(0, 10), has_more: true, limit: 10, offset: 0 });
  });

  it('by status: exactly the payments in it', async () => {
    for (const status of ['authorized', 'captured', 'partially_refunded', 'refunded', 'voided', 'failed', 'expired']) {
      const page = await list(shop.call, '/api/v1/payments', { status, limit: 100 });
      expect(ids(page.data), status).toEqual(ids(payments.filter((p) => p['status'] === status)));
    }
  });

  it('by customer_email, whatever its case: exactly that customer’s', async () => {
    const anns = payments.filter((p) => (p['customer'] as { email?: string } | null)?.email?.toLowerCase() === 'ann@example.com');
    expect(anns.length).toBeGreaterThan(4);
    for (const email of ['ann@example.com', 'ANN@EXAMPLE.COM']) {
      expect(ids((await list(shop.call, '/api/v1/payments', { customer_email: email, limit: 100 })).data)).toEqual(ids(anns));
    }
    expect((await list(shop.call, '/api/v1/payments', { customer_email: 'nobody@example.com' })).data).toEqual([]);
  });

  it('by payment_intent: its declined attempts and its success, alone or with a status and an email', async () => {
    const page = await list(shop.call, '/api/v1/payments', { payment_intent: intentId });
    expect(ids(page.data)).toEqual([...intentPaymentIds].reverse());
    expect(page.data.map((p) => p['status'])).toEqual(['captured', 'failed', 'failed']);
    expect(page.data.every((p) => p['payment_intent_id'] === intentId)).toBe(true);
    const failed = await list(shop.call, '/api/v1/payments', { payment_intent: intentId, status: 'failed', customer_email: 'ann@EXAMPLE.com', limit: 1 });
    expect(failed).toMatchObject({ data: [{ id: intentPaymentIds[1] }], has_more: true });
    // Another merchant's key lists nothing of it.
    expect((await list(other.call, '/api/v1/payments', { payment_intent: intentId })).data).toEqual([]);
  });

  it('pages forward by starting_after and back by ending_before through exactly the newest-first sequence', async () => {
    const forward: Listed[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await list(shop.call, '/api/v1/payments', { limit: 4, ...(after ? { starting_after: after } : {}) });
      forward.push(...page.data);
      expect(page.has_more).toBe(forward.length < payments.length);
      if (!page.has_more) break;
      after = page.data.at(-1)!.id;
    }
    expect(ids(forward)).toEqual(ids(payments));
    const backward: Listed[] = [];
    let before = payments.at(-1)!.id;
    for (;;) {
      const page = await list(shop.call, '/api/v1/payments', { limit: 4, ending_before: before });
      backward.unshift(...page.data);
      expect(page.has_more).toBe(backward.length < payments.length - 1);
      if (!page.has_more) break;
      before = page.data[0]!.id;
    }
    expect(ids(backward)).toEqual(ids(payments.slice(0, -1)));
    // And by status, the cursor being a payment of that list.
    const captured = payments.filter((p) => p['status'] === 'captured');
    expect(ids((await list(shop.call, '/api/v1/payments', { status: 'captured', starting_after: captured[0]!.id, limit: 100 })).data)).toEqual(ids(captured.slice(1)));
  });

  it('within created[gte] (inclusive) and created[lt] (exclusive), a bound in any offset', async () => {
    const from = payments[9]!;
    const to = payments[2]!;
    expect(from.created_at < to.created_at).toBe(true);
    const inside = payments.filter((p) => p.created_at >= from.created_at && p.created_at < to.created_at);
    expect(ids(inside)).toContain(from.id);
    expect(ids(inside)).not.toContain(to.id);
    const page = await list(shop.call, '/api/v1/payments', { 'created[gte]': from.created_at, 'created[lt]': to.created_at, limit: 100 });
    expect(ids(page.data)).toEqual(ids(inside));
    // The same instant written at +02:00.
    const local = new Date(Date.parse(from.created_at) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect(ids((await list(shop.call, '/api/v1/payments', { 'created[gte]': local, limit: 100 })).data)).toEqual(ids(payments.filter((p) => p.created_at >= from.created_at)));
    // With a cursor in the range: the rest of the range after it.
    const rest = await list(shop.call, '/api/v1/payments', { 'created[gte]': from.created_at, 'created[lt]': to.created_at, starting_after: inside[1]!.id, limit: 100 });
    expect(ids(rest.data)).toEqual(ids(inside.slice(2)));
    // A range turned round holds nothing.
    expect(await list(shop.call, '/api/v1/payments', { 'created[gte]': to.created_at, 'created[lt]': from.created_at })).toEqual({ object: 'list', data: [], has_more: false, limit: 10, offset: 0 });
  });

  it.each([
    ['both cursors', () => ({ starting_after: payments[1]!.id, ending_before: payments[3]!.id }), 'ending_before'],
    ['a cursor and an offset', () => ({ starting_after: payments[1]!.id, offset: 2 }), 'offset'],
    ['an unknown cursor', () => ({ starting_after: 'pay_0000000000000000000000' }), 'starting_after'],
    ['another merchant’s payment as cursor', () => ({ ending_before: othersPaymentIds[0]! }), 'ending_before'],
    ['a cursor of another kind', () => ({ starting_after: intentId }), 'starting_after'],
    ['status with customer_email', () => ({ status: 'captured', customer_email: 'ann@example.com' }), 'customer_email'],
    ['a creation bound without its offset', () => ({ 'created[gte]': '2026-11-24T10:00:00' }), 'created[gte]'],
    ['a creation bound that is no time', () => ({ 'created[lt]': 'yesterday' }), 'created[lt]'],
    ['limit 0', () => ({ limit: 0 }), 'limit'],
    ['limit 101', () => ({ limit: 101 }), 'limit'],
    ['an unknown status', () => ({ status: 'pending' }), 'status'],
  ])('answers 400 validation_error to %s, naming the parameter', async (_, params, param) => {
    const answer = await shop.call('GET', `/api/v1/payments?${query(params())}`);
    expectError(answer, 400, 'validation_error');
    expect(answer.body.error.param).toBe(param);
  });
});

describe('GET /api/v1/payment-intents', () => {
  it('lists the merchant’s intents newest first, by cursor, without their client secrets', async () => {
    const more: string[] = [];
    for (let i = 0; i < 3; i++) more.push(await created(shop.call, '/api/v1/payment-intents', { amount: 100 + i, currency: 'USD', success_url: 'https://shop.example/thanks' }));
    const page = await list(shop.call, '/api/v1/payment-intents', { limit: 100 });
    expect(ids(page.data)).toEqual([...more.reverse(), intentId]);
    for (const intent of page.data) {
      expect(intent).toMatchObject({ object: 'payment_intent', client_secret: null, checkout_url: null });
      expect(JSON.stringify(intent)).not.toContain('_secret_');
    }
    expect(page.data.at(-1)).toMatchObject({ id: intentId, status: 'succeeded', payment_id: intentPaymentIds[2] });
    expect(await list(shop.call, '/api/v1/payment-intents', { limit: 2 })).toMatchObject({ data: [{ id: more[0] }, { id: more[1] }], has_more: true });
    expect(await list(shop.call, '/api/v1/payment-intents', { limit: 2, starting_after: more[1]! })).toMatchObject({ data: [{ id: more[2] }, { id: intentId }], has_more: false });
    expect(await list(shop.call, '/api/v1/payment-intents', { limit: 2, ending_before: intentId })).toMatchObject({ data: [{ id: more[1] }, { id: more[2] }], has_more: true });
    expect(ids((await list(other.call, '/api/v1/payment-intents')).data)).not.toContain(intentId);
    expectError(await other.call('GET', `/api/v1/payment-intents?starting_after=${intentId}`), 400, 'validation_error', { param: 'starting_after' });
  });
});

describe('transactions and events by cursor', () => {
  it('page both ways by starting_after and ending_before, and refuse a cursor with an offset', async () => {
    const transactions = (await list(shop.call, '/api/v1/transactions', { limit: 100 })).data;
    expect(transactions.length).toBeGreaterThan(10);
    const after = await list(shop.call, '/api/v1/transactions', { limit: 3, starting_after: transactions[4]!.id });
    expect(after).toMatchObject({ data: transactions.slice(5, 8), has_more: true, limit: 3 });
    const before = await list(shop.call, '/api/v1/transactions', { limit: 3, ending_before: transactions[2]!.id });
    expect(before).toMatchObject({ data: transactions.slice(0, 2), has_more: false });
    const captures = await list(shop.call, '/api/v1/transactions', { status: 'captured', 'created[gte]': transactions[6]!.created_at, limit: 100 });
    expect(ids(captures.data)).toEqual(ids(transactions.filter((t) => t['status'] === 'captured' && t.created_at >= transactions[6]!.created_at)));
    expectError(await shop.call('GET', `/api/v1/transactions?offset=1&starting_after=${transactions[0]!.id}`), 400, 'validation_error');

    const events = (await list(shop.call, '/api/v1/events', { limit: 100 })).data;
    expect(events.length).toBeGreaterThan(10);
    expect((await list(shop.call, '/api/v1/events', { limit: 4, starting_after: events[3]!.id })).data).toEqual(events.slice(4, 8));
    expect(await list(shop.call, '/api/v1/events', { limit: 4, ending_before: events[3]!.id })).toEqual({ object: 'list', data: events.slice(0, 3), has_more: false, limit: 4, offset: 0 });
    expectError(await other.call('GET', `/api/v1/events?ending_before=${events[0]!.id}`), 400, 'validation_error', { param: 'ending_before' });
  });
});
