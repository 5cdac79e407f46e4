/**
 * The lists of `GET /api/v1/payments` and `GET /api/v1/payment-intents` on DynamoDB Local
 * (API.md, "Lists"): a merchant's payments made through the real commands, in every status, for
 * several customers (emails in any case) and intents (declined attempts and the success), listed
 * by every filter exactly, newest first, by cursor both ways, within creation ranges whose
 * boundaries are exact (gte inclusive, lt exclusive), each page reading about `limit` items; another
 * merchant's never show; payments and intents written before their lists are adopted once, without
 * overwriting one changed meanwhile.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientSecretFor, confirmIntent, createIntent, listIntents } from '../../shared/commands/intents.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { capturePayment, createPayment, expireAuthorization, listPayments, refundPayment, voidPayment } from '../../shared/commands/payments.ts';
import { listEvents } from '../../shared/commands/webhooks.ts';
import { listTransactions } from '../../shared/commands/transactions.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import { ApiError } from '../../shared/domain/errors.ts';
import type { PaymentIntent } from '../../shared/domain/intents.ts';
import { PAYMENT_STATUSES, type Payment } from '../../shared/domain/payment.ts';
import type { ListRequest } from '../../shared/commands/lists.ts';
import type { ListQuery, Page, PaymentQuery } from '../../shared/ports.ts';
import { apiError, newPayment, testDependencies, VISA, type TestDependencies } from '../support/deps.ts';
import { ExaminedItems } from '../support/examined-items.ts';

const DECLINED = { ...VISA, number: '4000000000000002' };
const INSUFFICIENT = { ...VISA, number: '4000000000009995' };
const MINUTE_MS = 60_000;


const sortKey = (p: { createdAt: string; id: string }) => `${p.createdAt}#${p.id}`;
const newestFirst = <T extends { createdAt: string; id: string }>(a: T, b: T) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0);


/** A declined payment is a payment too: its id is in the decline. */
async function pay(deps: Dependencies, merchantId: string, input: Parameters<typeof newPayment>[0]): Promise<string> {
  try {
    return (await createPayment(deps, merchantId, newPayment(input))).id;
  } catch (error) {
    if (error instanceof ApiError && error.status === 402) return error.details.paymentId!;
    throw error;
  }
}

type Filter = Omit<PaymentQuery, 'limit' | 'offset' | 'startingAfter' | 'endingBefore' | 'createdGte' | 'createdLt'>;
type Range = { createdGte?: string; createdLt?: string };

let deps: TestDependencies;
const examined = new ExaminedItems();
let merchantId: string;
let otherId: string;
/** The merchant's payments as stored after the history below. */
let all: Payment[];
let intents: { intent: PaymentIntent; paymentIds: string[] }[];
let others: Payment[];

const EMAILS = ['ann@example.com', 'bob@example.com', 'cy@example.com'];

// A merchant with a history: 64 payments over two days (some at one instant, as concurrent
// requests make them), every status, three customers whose emails come in any case, and intents
// paid after declined attempts. Another merchant, in the same table, has payments of the same
// customers, statuses and instants: none must ever show.
beforeAll(async () => {
  deps = await testDependencies();
  examined.attach(deps.rawClient);
  merchantId = (await createMerchant(deps, 'Payment Lists Merchant')).merchant.id;
  otherId = (await createMerchant(deps, 'Another Merchant')).merchant.id;
  const start = deps.clock.now().getTime();
  const ids: string[] = [];
  const otherIds: string[] = [];
  for (let i = 0; i < 56; i++) {
    deps.clock.set(new Date(start + Math.floor(i / 2) * 17 * MINUTE_MS)); // pairs made at one instant
    const email = i % 4 === 3 ? null : EMAILS[i % 3]!;
    const written = email && i % 2 === 0 ? email.toUpperCase() : email;
    const customer = written ? { email: written, name: null, phone: null } : null;
    const card = i % 7 === 5 ? DECLINED : VISA;
    ids.push(await pay(deps, merchantId, { customer, card, capture: i % 3 === 0, amount: 1000 + i }));
    if (i % 8 === 0) otherIds.push(await pay(deps, otherId, { customer, card, capture: i % 3 === 0 }));
  }
  // Their lives after: captures, refunds (partial and whole), voids, one expiry.
  for (const [i, id] of ids.entries()) {
    const payment = (await deps.store.getPayment(merchantId, id))!;
    if (payment.status === 'authorized' && i % 5 === 1) await capturePayment(deps, merchantId, id, undefined);
    else if (payment.status === 'authorized' && i % 5 === 2) await voidPayment(deps, merchantId, id, null);
    else if (payment.status === 'captured' && i % 2 === 0) await refundPayment(deps, merchantId, id, 10, null);
    else if (payment.status === 'captured' && i % 2 === 1) await refundPayment(deps, merchantId, id, undefined, null);
  }
  const now = deps.clock.now();
  const toExpire = (await deps.store.getPayment(merchantId, ids[4]!))!;
  expect(toExpire.status).toBe('authorized');
  deps.clock.set(new Date(Date.parse(toExpire.expiresAt!) + 1000));
  await expireAuthorization(deps, merchantId, toExpire.id);
  deps.clock.set(now);

  // Intents: one paid at the third attempt, one at the first, one declined twice and still open; another merchant's.
  intents = [];
  for (const [declines, email] of [[2, 'Ann@Example.com'], [0, 'bob@example.com'], [2, null]] as const) {
    deps.clock.advance(3 * MINUTE_MS);
    const { intent, clientSecret } = await createIntent(deps, merchantId, {
      amount: 5000, currency: 'EUR', successUrl: 'https://shop.example/thanks', cancelUrl: null, orderId: null, description: null, captureMethod: 'automatic', customerEmail: email, metadata: {},
    });
    const made: string[] = [];
    for (let attempt = 0; attempt <= declines; attempt++) {
      deps.clock.advance(MINUTE_MS);
      const card = attempt < declines ? INSUFFICIENT : VISA;
      if (email === null && attempt === declines) break;
      const confirmation = { clientSecret, card, customerEmail: email === null ? 'Cy@Example.com' : null };
      if (attempt < declines) made.push((await apiError(confirmIntent(deps, intent.id, confirmation))).details.paymentId!);
      else made.push((await confirmIntent(deps, intent.id, confirmation)).payment.id);
    }
    intents.push({ intent: (await deps.store.getIntent(merchantId, intent.id))!, paymentIds: made });
  }
  const { intent: othersIntent, clientSecret } = await createIntent(deps, otherId, {
    amount: 5000, currency: 'EUR', successUrl: 'https://shop.example/thanks', cancelUrl: null, orderId: null, description: null, captureMethod: 'automatic', customerEmail: 'ann@example.com', metadata: {},
  });
  otherIds.push((await confirmIntent(deps, othersIntent.id, { clientSecret, card: VISA, customerEmail: null })).payment.id);

  const intentPaymentIds = intents.flatMap((i) => i.paymentIds);
  all = await Promise.all([...ids, ...intentPaymentIds].map(async (id) => (await deps.store.getPayment(merchantId, id))!));
  all.sort(newestFirst);
  others = await Promise.all(otherIds.map(async (id) => (await deps.store.getPayment(otherId, id))!));
  expect(all).toHaveLength(56 + intentPaymentIds.length);
  expect(intents.map((i) => i.intent.paymentIds)).toEqual(intents.map((i) => i.paymentIds));
  // Every status of a payment is in the history but none is missing (so every status list is walked non-empty).
  expect(new Set(all.map((p) => p.status))).toEqual(new Set(PAYMENT_STATUSES));
  // Some at one instant: the id orders them.
  expect(new Set(all.map((p) => p.createdAt)).size).toBeLessThan(all.length);
}, 120_000);

const inRange = (p: Payment, range: Range) => (range.createdGte === undefined || p.createdAt >= range.createdGte) && (range.createdLt === undefined || p.createdAt < range.createdLt);

function wanted(filter: Filter, range: Range = {}, payments = all): Payment[] {
  const intent = filter.paymentIntentId === undefined ? undefined : intents.find((i) => i.intent.id === filter.paymentIntentId);
  return payments
    .filter(
      (p) =>
        (intent === undefined || intent.paymentIds.includes(p.id)) &&
        (filter.status === undefined || p.status === filter.status) &&
        (filter.customerEmail === undefined || p.customer?.email?.toLowerCase() === filter.customerEmail.toLowerCase()) &&
        inRange(p, range),
    )
    .sort(newestFirst);
}

/** What a page may read at most: the offset, a page and two (a BETWEEN), the cursor; an intent's payments and the intent itself. */
function readsAtMost(filter: Filter, limit: number, offset: number, withCursor: boolean): number {
  if (filter.paymentIntentId !== undefined) return 1 + 5 + (withCursor ? 1 : 0);
  return offset + limit + 2 + (withCursor ? 1 : 0);
}

async function page(filter: Filter, request: Omit<ListRequest<PaymentQuery>, keyof Filter | 'offset'> & { offset?: number }): Promise<Page<Payment>> {
  const { result, examined: reads } = await examined.during(() => listPayments(deps, merchantId, { ...filter, offset: 0, ...request }));
  const withCursor = request.startingAfter !== undefined || request.endingBefore !== undefined;
  expect(reads, JSON.stringify({ filter, request })).toBeLessThanOrEqual(readsAtMost(filter, request.limit, request.offset ?? 0, withCursor));
  for (const p of result.items) expect(p.merchantId).toBe(merchantId);
  return result;
}

/** Every page by `starting_after` from the first, then back from the oldest by `ending_before`: the exact sequence, has_more right at both ends. */
async function walk(filter: Filter, limit: number, range: Range = {}): Promise<Payment[]> {
  const expected = wanted(filter, range);
  const what = JSON.stringify({ filter, range, limit });
  const forward: Payment[] = [];
  let cursor: string | undefined;
  for (;;) {
    const next = await page(filter, { limit, ...range, ...(cursor ? { startingAfter: cursor } : {}) });
    expect(next.items.length, what).toBe(Math.min(limit, expected.length - forward.length));
    forward.push(...next.items);
    expect(next.hasMore, what).toBe(forward.length < expected.length);
    if (!next.hasMore) break;
    cursor = next.items.at(-1)!.id;
  }
  expect(forward.map((p) => p.id), what).toEqual(expected.map((p) => p.id));
  expect(forward).toEqual(expected);

  let position = expected.length - 1;
  while (position > 0) {
    const previous = await page(filter, { limit, ...range, endingBefore: expected[position]!.id });
    const from = Math.max(0, position - limit);
    expect(previous.items.map((p) => p.id), `${what} before #${position}`).toEqual(expected.slice(from, position).map((p) => p.id));
    expect(previous.hasMore, `${what} before #${position}`).toBe(from > 0);
    position = from;
  }
  // Past either end: an empty page, nothing more.
  if (expected.length > 0) {
    expect(await page(filter, { limit, ...range, startingAfter: expected.at(-1)!.id }), what).toEqual({ items: [], hasMore: false });
    expect(await page(filter, { limit, ...range, endingBefore: expected[0]!.id }), what).toEqual({ items: [], hasMore: false });
  }
  return expected;
}

describe('the payments of a merchant, listed', () => {
  it('are exactly the merchant’s, newest first, page by page by cursor both ways, each page reading about a page', async () => {
    expect(await walk({}, 10)).toHaveLength(all.length);
    await walk({}, 1);
    await walk({}, 100);
  });

  it.each(PAYMENT_STATUSES)('by status %s: exactly those, by cursor both ways', async (status) => {
    expect((await walk({ status }, 3)).length).toBeGreaterThan(0);
  });

  it('by customer email, whatever the case it was written or asked in: exactly that customer’s', async () => {
    for (const email of EMAILS) {
      const expected = await walk({ customerEmail: email }, 4);
      expect(expected.length).toBeGreaterThan(3);
      // Written in lower case and in capitals, listed together.
      expect(expected.every((p) => p.customer!.email!.toLowerCase() === email)).toBe(true);
      expect(new Set(expected.map((p) => p.customer!.email))).toContain(email.toUpperCase());
      expect(new Set(expected.map((p) => p.customer!.email))).toContain(email);
      expect((await page({ customerEmail: email.toUpperCase() }, { limit: 100 })).items).toEqual(expected);
    }
    expect((await page({ customerEmail: 'nobody@example.com' }, { limit: 10 })).items).toEqual([]);
  });

  it('by payment intent: its declined attempts and its success, newest first, alone or with a status or an email', async () => {
    for (const { intent, paymentIds } of intents) {
      const expected = await walk({ paymentIntentId: intent.id }, 1);
      expect(expected.map((p) => p.id)).toEqual([...paymentIds].reverse());
      await walk({ paymentIntentId: intent.id }, 2);
      await walk({ paymentIntentId: intent.id, status: 'failed' }, 1);
      await walk({ paymentIntentId: intent.id, status: 'captured' }, 1);
      await walk({ paymentIntentId: intent.id, customerEmail: 'ANN@example.com' }, 1);
      await walk({ paymentIntentId: intent.id, customerEmail: 'ann@example.com', status: 'failed' }, 1);
      await walk({ paymentIntentId: intent.id }, 5, { createdGte: expected.at(-1)!.createdAt, createdLt: expected[0]!.createdAt });
    }
    expect(wanted({ paymentIntentId: intents[0]!.intent.id }).map((p) => p.status)).toEqual(['captured', 'failed', 'failed']);
  });

  it('by another merchant’s payment intent, or an unknown one: nothing', async () => {
    const othersIntent = others.at(-1)!.paymentIntentId!;
    expect(await page({ paymentIntentId: othersIntent }, { limit: 10 })).toEqual({ items: [], hasMore: false });
    expect(await page({ paymentIntentId: 'pi_000000000000000000000000' }, { limit: 10 })).toEqual({ items: [], hasMore: false });
  });

  it('never show another merchant’s payments, which share the customers, statuses and instants', async () => {
    const theirs = new Set(others.map((p) => p.id));
    for (const filter of [{}, ...PAYMENT_STATUSES.map((status) => ({ status })), ...EMAILS.map((customerEmail) => ({ customerEmail }))] as Filter[]) {
      const { items } = await page(filter, { limit: 100 });
      expect(items.filter((p) => theirs.has(p.id)), JSON.stringify(filter)).toEqual([]);
    }
    expect((await listPayments(deps, otherId, { limit: 100, offset: 0 })).items.map((p) => p.id).sort()).toEqual([...theirs].sort());
  });

  it('within a creation range: from created[gte] inclusive to created[lt] exclusive, at exact instants', async () => {
    // An instant two payments share, and one later instant: the range is exactly what lies between.
    const instants = [...new Set(all.map((p) => p.createdAt))].sort();
    const from = instants[5]!;
    const to = instants[20]!;
    expect(all.filter((p) => p.createdAt === from).length).toBeGreaterThan(1);
    const inside = await walk({}, 4, { createdGte: from, createdLt: to });
    expect(inside.at(-1)!.createdAt).toBe(from);
    expect(inside.every((p) => p.createdAt < to)).toBe(true);
    expect(inside).toHaveLength(all.filter((p) => p.createdAt >= from && p.createdAt < to).length);
    // A millisecond either way moves exactly those instants' payments in or out.
    const justAfter = new Date(Date.parse(from) + 1).toISOString();
    expect((await walk({}, 100, { createdGte: justAfter, createdLt: to })).length).toBe(inside.length - all.filter((p) => p.createdAt === from).length);
    const justAfterTo = new Date(Date.parse(to) + 1).toISOString();
    expect((await walk({}, 100, { createdGte: from, createdLt: justAfterTo })).length).toBe(inside.length + all.filter((p) => p.createdAt === to).length);
    // One bound alone, and ranges with every filter.
    await walk({}, 6, { createdGte: to });
    await walk({}, 6, { createdLt: from });
    for (const status of PAYMENT_STATUSES) await walk({ status }, 2, { createdGte: from, createdLt: to });
    for (const customerEmail of EMAILS) await walk({ customerEmail }, 2, { createdGte: from });
    // One that holds a single instant, and empty ones (as long as from = to, or turned round).
    await walk({}, 1, { createdGte: from, createdLt: instants[6]! });
    expect(await page({}, { limit: 10, createdGte: from, createdLt: from })).toEqual({ items: [], hasMore: false });
    expect(await page({}, { limit: 10, createdGte: to, createdLt: from })).toEqual({ items: [], hasMore: false });
  });

  it('with a cursor outside the range: what the range and the cursor both allow (nothing, when they do not meet)', async () => {
    const instants = [...new Set(all.map((p) => p.createdAt))].sort();
    const range = { createdGte: instants[10]!, createdLt: instants[30]! };
    const older = all.find((p) => p.createdAt < range.createdGte)!;
    const newer = all.find((p) => p.createdAt >= range.createdLt)!;
    expect(await page({}, { limit: 10, ...range, startingAfter: older.id })).toEqual({ items: [], hasMore: false });
    expect(await page({}, { limit: 10, ...range, endingBefore: newer.id })).toEqual({ items: [], hasMore: false });
    const inRangeAll = wanted({}, range);
    expect((await page({}, { limit: 100, ...range, startingAfter: newer.id })).items).toEqual(inRangeAll);
    expect((await page({}, { limit: 3, ...range, endingBefore: older.id })).items).toEqual(inRangeAll.slice(-3));
  });

  it('still page by offset', async () => {
    for (const filter of [{}, { status: 'failed' }, { customerEmail: EMAILS[1] }, { paymentIntentId: intents[0]!.intent.id }] as Filter[]) {
      const expected = wanted(filter);
      const { items, hasMore } = await page(filter, { limit: 2, offset: 1 });
      expect(items, JSON.stringify(filter)).toEqual(expected.slice(1, 3));
      expect(hasMore).toBe(expected.length > 3);
    }
  });

  it('reads a page and one more for a first page, whatever the history', async () => {
    for (const filter of [{}, { status: 'captured' }, { customerEmail: EMAILS[0] }] as Filter[]) {
      const { result, examined: reads } = await examined.during(() => listPayments(deps, merchantId, { ...filter, limit: 2, offset: 0 }));
      expect(result.items).toEqual(wanted(filter).slice(0, 2));
      expect(reads).toBeLessThanOrEqual(3);
    }
  });

  it('refuses a cursor that is not one of the merchant’s payments, naming its parameter', async () => {
    for (const [cursor, param] of [['startingAfter', 'starting_after'], ['endingBefore', 'ending_before']] as const) {
      for (const id of [others[0]!.id, 'pay_000000000000000000000000']) {
        const error = await apiError(listPayments(deps, merchantId, { limit: 10, offset: 0, [cursor]: id }));
        expect({ status: error.status, code: error.code, param: error.details.param }).toEqual({ status: 400, code: 'validation_error', param });
      }
    }
  });

  it('move a payment from one status list to the next as it changes, in place in the others', async () => {
    const id = await pay(deps, merchantId, { customer: { email: 'mover@example.com', name: null, phone: null } });
    const at = async (filter: Filter) => (await listPayments(deps, merchantId, { ...filter, limit: 100, offset: 0 })).items.filter((p) => p.id === id).map((p) => p.status);
    expect(await at({ status: 'authorized' })).toEqual(['authorized']);
    await capturePayment(deps, merchantId, id, undefined);
    expect(await at({ status: 'authorized' })).toEqual([]);
    expect(await at({ status: 'captured' })).toEqual(['captured']);
    expect(await at({ customerEmail: 'MOVER@example.com' })).toEqual(['captured']);
    expect(await at({})).toEqual(['captured']);
  });
});

describe('the payment intents of a merchant, listed', () => {
  it('are exactly the merchant’s, newest first, by cursor both ways and within a range', async () => {
    const { merchant } = await createMerchant(deps, 'Intent Lists');
    const made: PaymentIntent[] = [];
    for (let i = 0; i < 7; i++) {
      deps.clock.advance(i % 3 === 0 ? 0 : MINUTE_MS);
      made.push((await createIntent(deps, merchant.id, { amount: 100 + i, currency: 'USD', successUrl: 'https://shop.example/ok', cancelUrl: null, orderId: null, description: null, captureMethod: 'manual', customerEmail: null, metadata: {} })).intent);
    }
    const expected = made.sort(newestFirst).map((i) => i.id);
    const ids = async (request: Omit<ListRequest<ListQuery>, 'offset'>) => {
      const pageOfIntents = await listIntents(deps, merchant.id, { offset: 0, ...request });
      return { ids: pageOfIntents.items.map((i) => i.id), hasMore: pageOfIntents.hasMore };
    };
    expect(await ids({ limit: 100 })).toEqual({ ids: expected, hasMore: false });
    expect(await ids({ limit: 3 })).toEqual({ ids: expected.slice(0, 3), hasMore: true });
    expect(await ids({ limit: 3, startingAfter: expected[2]! })).toEqual({ ids: expected.slice(3, 6), hasMore: true });
    expect(await ids({ limit: 3, startingAfter: expected[5]! })).toEqual({ ids: expected.slice(6), hasMore: false });
    expect(await ids({ limit: 3, endingBefore: expected[6]! })).toEqual({ ids: expected.slice(3, 6), hasMore: true });
    expect(await ids({ limit: 3, endingBefore: expected[3]! })).toEqual({ ids: expected.slice(0, 3), hasMore: false });
    const sorted = [...made].sort(newestFirst);
    expect(await ids({ limit: 100, createdGte: sorted[4]!.createdAt, createdLt: sorted[0]!.createdAt })).toEqual({
      ids: sorted.filter((i) => i.createdAt >= sorted[4]!.createdAt && i.createdAt < sorted[0]!.createdAt).map((i) => i.id),
      hasMore: false,
    });
    // Not another merchant's: theirs are not in the list, nor a cursor.
    expect((await listIntents(deps, merchantId, { limit: 100, offset: 0 })).items.map((i) => i.id)).toEqual([...intents].map((i) => i.intent).sort(newestFirst).map((i) => i.id));
    const error = await apiError(listIntents(deps, merchantId, { limit: 10, offset: 0, startingAfter: expected[0]! }));
    expect({ status: error.status, param: error.details.param }).toEqual({ status: 400, param: 'starting_after' });
  });
});

describe('transactions and events, by cursor and range', () => {
  it('page both ways by cursor, within a range, as the payments do', async () => {
    const transactions = (await listTransactions(deps, merchantId, { limit: 100, offset: 0 })).items;
    expect(transactions.length).toBeGreaterThan(20);
    const after = await listTransactions(deps, merchantId, { limit: 5, offset: 0, startingAfter: transactions[9]!.id });
    expect(after.items).toEqual(transactions.slice(10, 15));
    const before = await listTransactions(deps, merchantId, { limit: 5, offset: 0, endingBefore: transactions[9]!.id });
    expect(before).toEqual({ items: transactions.slice(4, 9), hasMore: true });
    const gte = transactions[20]!.createdAt;
    const ranged = await listTransactions(deps, merchantId, { limit: 100, offset: 0, createdGte: gte });
    expect(ranged.items).toEqual(transactions.filter((t) => t.createdAt >= gte));

    const events = (await listEvents(deps, merchantId, { limit: 100, offset: 0 })).items;
    expect((await listEvents(deps, merchantId, { limit: 3, offset: 0, endingBefore: events[3]!.id })).items).toEqual(events.slice(0, 3));
    expect((await listEvents(deps, merchantId, { limit: 3, offset: 0, startingAfter: events[3]!.id })).items).toEqual(events.slice(4, 7));
    const error = await apiError(listEvents(deps, otherId, { limit: 3, offset: 0, startingAfter: events[3]!.id }));
    expect({ status: error.status, param: error.details.param }).toEqual({ status: 400, param: 'starting_after' });
  });
});

describe('payments and intents written before their lists', () => {
  /** A table of its own: the adoption scans it whole. Payments and intents written by the real commands, then stripped of their list keys, as the previous version wrote them. */
  async function legacyHistory() {
    const legacy = await testDependencies();
    const { merchant } = await createMerchant(legacy, 'Legacy Merchant');
    const paymentIds: string[] = [];
    for (const input of [{ customer: { email: 'Old@Example.com', name: null, phone: null } }, { capture: true }, { card: DECLINED }]) {
      legacy.clock.advance(MINUTE_MS);
      paymentIds.push(await pay(legacy, merchant.id, input));
    }
    const { intent } = await createIntent(legacy, merchant.id, { amount: 100, currency: 'USD', successUrl: 'https://shop.example/ok', cancelUrl: null, orderId: null, description: null, captureMethod: 'manual', customerEmail: null, metadata: {} });
    for (const id of paymentIds) {
      await legacy.rawClient.send(new UpdateItemCommand({ TableName: legacy.tableName, Key: marshall({ pk: `PAYMENT#${id}`, sk: 'PAYMENT' }), UpdateExpression: 'REMOVE gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk' }));
    }
    await legacy.rawClient.send(new UpdateItemCommand({ TableName: legacy.tableName, Key: marshall({ pk: `INTENT#${intent.id}`, sk: 'INTENT' }), UpdateExpression: 'REMOVE gsi1pk, gsi1sk' }));
    return { legacy, merchantId: merchant.id, paymentIds, intentId: intent.id };
  }

  const listedIds = async (d: Dependencies, m: string, filter: Filter = {}) => (await listPayments(d, m, { ...filter, limit: 10, offset: 0 })).items.map((p) => p.id);
  const stored = async (d: TestDependencies, key: { pk: string; sk: string }) =>
    unmarshall((await d.rawClient.send(new GetItemCommand({ TableName: d.tableName, Key: marshall(key), ConsistentRead: true }))).Item!);

  it('are listed under every filter once adopted; the next run does nothing', async () => {
    const { legacy, merchantId: m, paymentIds, intentId } = await legacyHistory();
    expect(await listedIds(legacy, m)).toEqual([]);
    expect((await listIntents(legacy, m, { limit: 10, offset: 0 })).items).toEqual([]);

    expect(await legacy.store.adoptLegacyPaymentLists()).toBe(4);
    expect(await legacy.store.adoptLegacyPaymentLists()).toBe(0);
    expect(await listedIds(legacy, m)).toEqual([...paymentIds].reverse());
    expect(await listedIds(legacy, m, { status: 'authorized' })).toEqual([paymentIds[0]]);
    expect(await listedIds(legacy, m, { status: 'captured' })).toEqual([paymentIds[1]]);
    expect(await listedIds(legacy, m, { status: 'failed' })).toEqual([paymentIds[2]]);
    expect(await listedIds(legacy, m, { customerEmail: 'old@example.COM' })).toEqual([paymentIds[0]]);
    expect((await listIntents(legacy, m, { limit: 10, offset: 0 })).items.map((i) => i.id)).toEqual([intentId]);
    expect(await stored(legacy, { pk: 'MIGRATION#payment-lists', sk: 'MIGRATION' })).toMatchObject({ entity: 'migration' });
    // Then an old payment changes like any other, moving between its lists.
    await capturePayment(legacy, m, paymentIds[0]!, undefined);
    expect(await listedIds(legacy, m, { status: 'authorized' })).toEqual([]);
    expect(await listedIds(legacy, m, { status: 'captured' })).toEqual([paymentIds[1], paymentIds[0]]);
  });

  it('leave a payment changed while the upgrade ran as its change saved it, keys and all', async () => {
    const { legacy, merchantId: m, paymentIds } = await legacyHistory();
    // Right after the upgrade's scan read the old items, a capture (this version of the code) changes the first.
    let armed = true;
    legacy.rawClient.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (armed && context.commandName === 'ScanCommand') {
          armed = false;
          await capturePayment(legacy, m, paymentIds[0]!, undefined);
        }
        return result;
      },
      { step: 'initialize', name: 'changeDuringAdoption' },
    );
    expect(await legacy.store.adoptLegacyPaymentLists()).toBe(3);
    expect(armed).toBe(false);
    const item = await stored(legacy, { pk: `PAYMENT#${paymentIds[0]}`, sk: 'PAYMENT' });
    expect(item).toMatchObject({ status: 'captured', version: 2, gsi2pk: `MERCHANT#${m}#PAYMENT#captured` });
    expect(await listedIds(legacy, m, { status: 'authorized' })).toEqual([]);
    expect(await listedIds(legacy, m, { status: 'captured' })).toEqual([paymentIds[1], paymentIds[0]]);
    expect(await listedIds(legacy, m)).toEqual([...paymentIds].reverse());
  });

  it('list an old intent’s successful payment by payment_intent (its list of attempts was not kept)', async () => {
    const legacy = await testDependencies();
    const { merchant } = await createMerchant(legacy, 'Legacy Intents');
    const { intent, clientSecret } = await createIntent(legacy, merchant.id, { amount: 100, currency: 'USD', successUrl: 'https://shop.example/ok', cancelUrl: null, orderId: null, description: null, captureMethod: 'manual', customerEmail: 'a@b.co', metadata: {} });
    await apiError(confirmIntent(legacy, intent.id, { clientSecret, card: INSUFFICIENT, customerEmail: null }));
    const paid = await confirmIntent(legacy, intent.id, { clientSecret: await clientSecretFor(legacy, intent), card: VISA, customerEmail: null });
    await legacy.rawClient.send(new UpdateItemCommand({ TableName: legacy.tableName, Key: marshall({ pk: `INTENT#${intent.id}`, sk: 'INTENT' }), UpdateExpression: 'REMOVE paymentIds' }));
    expect(await listedIds(legacy, merchant.id, { paymentIntentId: intent.id })).toEqual([paid.payment.id]);
  });
});
