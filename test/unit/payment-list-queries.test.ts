/**
 * Which key serves which filter of the payment and intent lists, and which key condition each
 * cursor and creation range becomes, pinned request by request (API.md, "Lists": every filter a
 * key condition, a page reads about `limit` items): a list that went back to reading and
 * discarding (a FilterExpression, a wider partition, a bound dropped or loosened) fails here, as
 * would a payment written without the keys that list it, or an upgrade that keys a payment
 * changed since it was read.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { pageOf } from '../../shared/adapters/dynamodb/table-access.ts';
import { positioned } from '../../shared/commands/lists.ts';
import type { PaymentIntent } from '../../shared/domain/intents.ts';
import type { Payment } from '../../shared/domain/payment.ts';
import { ListPaymentIntentsQuery, ListPaymentsQuery, ListTransactionsQuery, listRequest } from '../../shared/http/schemas.ts';
import type { ListQuery, PaymentQuery } from '../../shared/ports.ts';
import { paymentIn } from './fixtures.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
});
afterEach(() => dynamo.reset());

const store = () =>
  new DynamoDbStore(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'paygate-test');

const M = 'mch_1';
const CURSOR = { createdAt: '2026-11-24T10:00:00.000Z', id: 'pay_cursor' };
const CURSOR_KEY = `${CURSOR.createdAt}#${CURSOR.id}`;
/** A range around the cursor, and bounds on either side of it. */
const EARLIER = '2026-11-20T00:00:00.000Z';
const LATER = '2026-11-28T00:00:00.000Z';
const emailKey = (email: string) => `MERCHANT#${M}#PAYMENT#EMAIL#${createHash('sha256').update(email).digest('hex')}`;

const queries = () => dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);

async function paymentQueries(query: Partial<PaymentQuery>) {
  await store().listPayments(M, { limit: 10, offset: 0, ...query });
  return queries();
}

describe('the payment lists', () => {
  it.each([
    ['no filter', {}, 'gsi1', `MERCHANT#${M}#PAYMENT`],
    ['a status', { status: 'refunded' as const }, 'gsi2', `MERCHANT#${M}#PAYMENT#refunded`],
    ['a customer email', { customerEmail: 'buyer@example.com' }, 'gsi3', emailKey('buyer@example.com')],
    ['a customer email in capitals', { customerEmail: 'Buyer@EXAMPLE.com' }, 'gsi3', emailKey('buyer@example.com')],
  ])('with %s: one key condition on its index partition, newest first, a page and one more, nothing filtered', async (_, query, index, partition) => {
    const [input, ...more] = await paymentQueries(query);
    expect(more).toEqual([]);
    expect(input).toEqual({
      TableName: 'paygate-test',
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': `${index}pk` },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: 11,
    });
  });

  it('keys an email by its hash only: the address itself is in no key', async () => {
    const [input] = await paymentQueries({ customerEmail: 'buyer@example.com' });
    expect(JSON.stringify(input)).not.toContain('buyer');
  });

  it('skips an offset by reading it through: offset + limit + 1', async () => {
    const [input] = await paymentQueries({ status: 'captured', limit: 5, offset: 20 });
    expect(input).toMatchObject({ Limit: 26, KeyConditionExpression: '#pk = :pk' });
  });

  it.each([
    ['after a cursor: older than its sort key', { startingAfter: CURSOR }, '#pk = :pk AND #sk < :upper', { ':upper': CURSOR_KEY }, false, 11],
    ['before a cursor: newer than its sort key, read from it up', { endingBefore: CURSOR }, '#pk = :pk AND #sk > :lower', { ':lower': CURSOR_KEY }, true, 11],
    ['created[gte]: at or after the time (inclusive)', { createdGte: EARLIER }, '#pk = :pk AND #sk >= :lower', { ':lower': EARLIER }, false, 11],
    ['created[lt]: before the time (exclusive)', { createdLt: LATER }, '#pk = :pk AND #sk < :upper', { ':upper': LATER }, false, 11],
    ['created[gte] and created[lt]: one BETWEEN, a page and two', { createdGte: EARLIER, createdLt: LATER }, '#pk = :pk AND #sk BETWEEN :lower AND :upper', { ':lower': EARLIER, ':upper': LATER }, false, 12],
    ['after a cursor from a time: a BETWEEN up to the cursor', { startingAfter: CURSOR, createdGte: EARLIER }, '#pk = :pk AND #sk BETWEEN :lower AND :upper', { ':lower': EARLIER, ':upper': CURSOR_KEY }, false, 12],
    ['after a cursor before a later time: the cursor is the tighter bound', { startingAfter: CURSOR, createdLt: LATER }, '#pk = :pk AND #sk < :upper', { ':upper': CURSOR_KEY }, false, 11],
    ['after a cursor before an earlier time: the time is the tighter bound', { startingAfter: CURSOR, createdLt: EARLIER }, '#pk = :pk AND #sk < :upper', { ':upper': EARLIER }, false, 11],
    ['before a cursor below a time: a BETWEEN from the cursor', { endingBefore: CURSOR, createdLt: LATER }, '#pk = :pk AND #sk BETWEEN :lower AND :upper', { ':lower': CURSOR_KEY, ':upper': LATER }, true, 12],
    ['before a cursor from an earlier time: the cursor is the tighter bound, exclusive', { endingBefore: CURSOR, createdGte: EARLIER }, '#pk = :pk AND #sk > :lower', { ':lower': CURSOR_KEY }, true, 11],
    ['before a cursor from a later time: the time is the tighter bound, inclusive', { endingBefore: CURSOR, createdGte: LATER }, '#pk = :pk AND #sk >= :lower', { ':lower': LATER }, true, 11],
    ['a whole range and a cursor in it', { startingAfter: CURSOR, createdGte: EARLIER, createdLt: LATER }, '#pk = :pk AND #sk BETWEEN :lower AND :upper', { ':lower': EARLIER, ':upper': CURSOR_KEY }, false, 12],
  ])('%s', async (_, window, condition, bounds, forward, limit) => {
    for (const filter of [{}, { status: 'authorized' as const }, { customerEmail: 'buyer@example.com' }]) {
      dynamo.resetHistory();
      const [input, ...more] = await paymentQueries({ ...filter, ...window });
      expect(more).toEqual([]);
      expect(input!.KeyConditionExpression).toBe(condition);
      expect(input!.ExpressionAttributeValues).toEqual({ ':pk': expect.any(String), ...bounds });
      expect(input!.ExpressionAttributeNames).toEqual({ '#pk': `${input!.IndexName}pk`, '#sk': `${input!.IndexName}sk` });
      expect(input!.ScanIndexForward).toBe(forward);
      expect(input!.Limit).toBe(limit);
      expect(input!.FilterExpression).toBeUndefined();
    }
  });

  it.each([
    ['created[lt] before created[gte]', { createdGte: LATER, createdLt: EARLIER }],
    ['a cursor older than created[gte]', { startingAfter: CURSOR, createdGte: LATER }],
    ['ending_before a cursor newer than created[lt]', { endingBefore: CURSOR, createdLt: EARLIER }],
  ])('with %s: an empty page without asking DynamoDB (it refuses a BETWEEN upside down)', async (_, window) => {
    expect(await store().listPayments(M, { limit: 10, offset: 0, ...window })).toEqual({ items: [], hasMore: false });
    expect(queries()).toEqual([]);
  });

  it('reads on past a page DynamoDB cut short, asking only for what is still missing', async () => {
    const item = (i: number) => ({ gsi1sk: `2026-11-2${i}T00:00:00.000Z#pay_${i}`, ...paymentIn('captured', { id: `pay_${i}` }) });
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(9), item(8)], LastEvaluatedKey: { pk: 'x' } })
      .resolvesOnce({ Items: [item(7), item(6)] });
    const page = await store().listPayments(M, { limit: 3, offset: 0 });
    expect(page.items.map((p) => p.id)).toEqual(['pay_9', 'pay_8', 'pay_7']);
    expect(page.hasMore).toBe(true);
    expect(queries().map((q) => [q.Limit, q.ExclusiveStartKey])).toEqual([
      [4, undefined],
      [2, { pk: 'x' }],
    ]);
  });
});

describe('the payments of an intent', () => {
  const I = 'pi_1';
  const intentItem = (overrides: Partial<PaymentIntent> = {}) => ({ pk: `INTENT#${I}`, sk: 'INTENT', merchantId: M, id: I, paymentId: 'pay_3', paymentIds: ['pay_1', 'pay_2', 'pay_3'], ...overrides });
  const stored = (id: string, at: string, overrides: Partial<Payment> = {}) => ({
    pk: `PAYMENT#${id}`,
    sk: 'PAYMENT',
    gsi1pk: `MERCHANT#${M}#PAYMENT`,
    gsi1sk: `${at}#${id}`,
    ...paymentIn('failed', { id, merchantId: M, createdAt: at, paymentIntentId: I, customer: { email: 'Buyer@Example.com', name: null, phone: null }, ...overrides }),
  });
  const declined1 = stored('pay_1', '2026-11-24T10:00:00.000Z');
  const declined2 = stored('pay_2', '2026-11-24T10:01:00.000Z');
  const paid = stored('pay_3', '2026-11-24T10:02:00.000Z', { status: 'captured' });

  beforeEach(() => {
    dynamo.on(GetCommand).resolves({ Item: intentItem() });
    // In no particular order, as a BatchGetItem answers.
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'paygate-test': [declined2, paid, declined1] } });
  });

  const ids = async (query: Partial<PaymentQuery>) => (await store().listPayments(M, { limit: 10, offset: 0, paymentIntentId: I, ...query })).items.map((p) => p.id);

  it('are read by key from the intent’s own list, newest first, without a query', async () => {
    expect(await ids({})).toEqual(['pay_3', 'pay_2', 'pay_1']);
    expect(queries()).toEqual([]);
    expect(dynamo.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'paygate-test', Key: { pk: `INTENT#${I}`, sk: 'INTENT' }, ConsistentRead: true }]);
    expect(dynamo.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems)).toEqual([
      { 'paygate-test': { Keys: ['pay_1', 'pay_2', 'pay_3'].map((id) => ({ pk: `PAYMENT#${id}`, sk: 'PAYMENT' })) } },
    ]);
  });

  it('take the other filters, status and a customer email whatever its case, and the cursors and range, on that bounded set', async () => {
    expect(await ids({ status: 'failed' })).toEqual(['pay_2', 'pay_1']);
    expect(await ids({ customerEmail: 'BUYER@example.COM' })).toEqual(['pay_3', 'pay_2', 'pay_1']);
    expect(await ids({ customerEmail: 'someone@example.com' })).toEqual([]);
    expect(await ids({ status: 'failed', customerEmail: 'buyer@example.com' })).toEqual(['pay_2', 'pay_1']);
    expect(await ids({ startingAfter: { createdAt: paid.createdAt, id: paid.id } })).toEqual(['pay_2', 'pay_1']);
    expect(await ids({ endingBefore: { createdAt: declined1.createdAt, id: declined1.id }, limit: 1 })).toEqual(['pay_2']);
    expect(await ids({ createdGte: declined2.createdAt })).toEqual(['pay_3', 'pay_2']);
    expect(await ids({ createdLt: declined2.createdAt })).toEqual(['pay_1']);
    expect(await store().listPayments(M, { limit: 1, offset: 0, paymentIntentId: I })).toMatchObject({ hasMore: true });
  });

  it('of another merchant’s intent are none, and nothing of theirs is read', async () => {
    dynamo.on(GetCommand).resolves({ Item: intentItem({ merchantId: 'mch_other' }) });
    expect(await ids({})).toEqual([]);
    expect(dynamo.commandCalls(BatchGetCommand)).toEqual([]);
  });

  it('never include another merchant’s payment, even one the intent names', async () => {
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'paygate-test': [declined1, { ...declined2, merchantId: 'mch_other' }, paid] } });
    expect(await ids({})).toEqual(['pay_3', 'pay_1']);
  });

  it('of an intent stored before it kept its list are its successful payment alone', async () => {
    dynamo.on(GetCommand).resolves({ Item: intentItem({ paymentIds: undefined }) });
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'paygate-test': [paid] } });
    expect(await ids({})).toEqual(['pay_3']);
    expect(dynamo.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems)).toEqual([{ 'paygate-test': { Keys: [{ pk: 'PAYMENT#pay_3', sk: 'PAYMENT' }] } }]);
  });
});

describe('pageOf, the cut every list makes of what it read', () => {
  const key = (s: string) => s;
  const items = ['e', 'd', 'c', 'b', 'a']; // newest first

  it('cuts at the cursor on both sides, whatever the query let in (a BETWEEN takes in the cursor itself)', () => {
    expect(pageOf(items, { limit: 10, offset: 0, after: 'c' }, key)).toEqual({ items: ['b', 'a'], hasMore: false });
    expect(pageOf(items, { limit: 10, offset: 0, before: 'c' }, key)).toEqual({ items: ['e', 'd'], hasMore: false });
  });

  it('before a cursor, is the items nearest it, newest first, with more when newer ones remain', () => {
    expect(pageOf(items, { limit: 2, offset: 0, before: 'a' }, key)).toEqual({ items: ['c', 'b'], hasMore: true });
    expect(pageOf(items, { limit: 2, offset: 0, before: 'c' }, key)).toEqual({ items: ['e', 'd'], hasMore: false });
  });

  it('keeps the range: from inclusive, to exclusive', () => {
    expect(pageOf(items, { limit: 10, offset: 0, from: 'b', to: 'd' }, key)).toEqual({ items: ['c', 'b'], hasMore: false });
  });
});

describe('the intent list', () => {
  it('is one key condition on the merchant’s intents in gsi1, with the cursors and range of every list', async () => {
    await store().listIntents(M, { limit: 10, offset: 0 });
    await store().listIntents(M, { limit: 10, offset: 0, startingAfter: { createdAt: CURSOR.createdAt, id: 'pi_cursor' }, createdGte: EARLIER });
    expect(queries()).toEqual([
      {
        TableName: 'paygate-test',
        IndexName: 'gsi1',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'gsi1pk' },
        ExpressionAttributeValues: { ':pk': `MERCHANT#${M}#INTENT` },
        ScanIndexForward: false,
        Limit: 11,
      },
      {
        TableName: 'paygate-test',
        IndexName: 'gsi1',
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lower AND :upper',
        ExpressionAttributeNames: { '#pk': 'gsi1pk', '#sk': 'gsi1sk' },
        ExpressionAttributeValues: { ':pk': `MERCHANT#${M}#INTENT`, ':lower': EARLIER, ':upper': `${CURSOR.createdAt}#pi_cursor` },
        ScanIndexForward: false,
        Limit: 12,
      },
    ]);
  });
});

describe('the transaction and event lists', () => {
  it('take the same cursors and ranges as key conditions', async () => {
    const window: Partial<ListQuery> = { endingBefore: CURSOR, createdLt: LATER };
    await store().listTransactions(M, { limit: 10, offset: 0, status: 'refunded', ...window });
    await store().listEvents(M, { limit: 10, offset: 0, type: 'payment.captured', ...window });
    expect(queries().map((q) => [q.IndexName, q.ExpressionAttributeValues![':pk'], q.KeyConditionExpression, q.ExpressionAttributeValues![':lower'], q.ExpressionAttributeValues![':upper'], q.ScanIndexForward, q.FilterExpression])).toEqual([
      ['gsi2', `MERCHANT#${M}#TXN#refunded`, '#pk = :pk AND #sk BETWEEN :lower AND :upper', CURSOR_KEY, LATER, true, undefined],
      ['gsi2', `MERCHANT#${M}#EVENT#payment.captured`, '#pk = :pk AND #sk BETWEEN :lower AND :upper', CURSOR_KEY, LATER, true, undefined],
    ]);
  });
});

describe('the keys of a payment', () => {
  const transaction = { id: 'txn_1', merchantId: M, paymentId: 'pay_1', type: 'authorize' as const, status: 'authorized' as const, amount: 1, currency: 'EUR' as const, reason: null, responseCode: '00', declineCode: null, createdAt: CURSOR.createdAt };

  async function written(payment: Payment) {
    dynamo.on(TransactWriteCommand).resolves({});
    await store().commitPayment({ payment, precondition: null, transaction, events: [] });
    return dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
  }

  it('are written with it: its merchant’s list, its status’s, and its customer’s email (lower-cased, hashed)', async () => {
    const payment = paymentIn('authorized', { id: 'pay_1', merchantId: M, createdAt: CURSOR.createdAt, customer: { email: 'Buyer@Example.COM', name: null, phone: null } });
    const sortKey = `${CURSOR.createdAt}#pay_1`;
    expect(await written(payment)).toMatchObject({
      gsi1pk: `MERCHANT#${M}#PAYMENT`,
      gsi1sk: sortKey,
      gsi2pk: `MERCHANT#${M}#PAYMENT#authorized`,
      gsi2sk: sortKey,
      gsi3pk: emailKey('buyer@example.com'),
      gsi3sk: sortKey,
    });
  });

  it('have no email key without an email (the email list is sparse)', async () => {
    const item = await written(paymentIn('captured', { id: 'pay_1', merchantId: M, customer: null }));
    expect(item['gsi2pk']).toBe(`MERCHANT#${M}#PAYMENT#captured`);
    expect(item).not.toHaveProperty('gsi3pk');
    expect(item).not.toHaveProperty('gsi3sk');
  });

  it('of an intent: its merchant’s intent list', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const intent = { id: 'pi_1', merchantId: M, createdAt: CURSOR.createdAt } as PaymentIntent;
    await store().createIntent(intent, { id: 'evt_1', merchantId: M, type: 'payment_intent.created', createdAt: CURSOR.createdAt, objectJson: '{}' });
    const item = dynamo.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
    expect(item).toMatchObject({ pk: 'INTENT#pi_1', gsi1pk: `MERCHANT#${M}#INTENT`, gsi1sk: `${CURSOR.createdAt}#pi_1` });
  });
});

describe('payments and intents written before their lists', () => {
  const legacyPayment = { pk: 'PAYMENT#pay_1', sk: 'PAYMENT', entity: 'payment', ...paymentIn('voided', { id: 'pay_1', merchantId: M, createdAt: CURSOR.createdAt, customer: { email: 'A@B.co', name: null, phone: null }, version: 4 }) };
  const legacyIntent = { pk: 'INTENT#pi_1', sk: 'INTENT', entity: 'payment_intent', id: 'pi_1', merchantId: M, createdAt: CURSOR.createdAt, version: 2 };

  beforeEach(() => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(ScanCommand).resolves({ Items: [legacyPayment, legacyIntent] });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
  });

  it('get their keys only at the version they were read and only if still without them, then a marker', async () => {
    expect(await store().adoptLegacyPaymentLists()).toBe(2);
    expect(dynamo.commandCalls(ScanCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'paygate-test',
        FilterExpression: '(entity = :payment OR entity = :intent) AND attribute_not_exists(gsi1pk)',
        ExpressionAttributeValues: { ':payment': 'payment', ':intent': 'payment_intent' },
      },
    ]);
    const sortKey = `${CURSOR.createdAt}#`;
    expect(dynamo.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'paygate-test',
        Key: { pk: 'PAYMENT#pay_1', sk: 'PAYMENT' },
        UpdateExpression: 'SET gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk',
        ConditionExpression: '#version = :read AND attribute_not_exists(gsi1pk)',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':gsi1pk': `MERCHANT#${M}#PAYMENT`,
          ':gsi1sk': `${sortKey}pay_1`,
          ':gsi2pk': `MERCHANT#${M}#PAYMENT#voided`,
          ':gsi2sk': `${sortKey}pay_1`,
          ':gsi3pk': emailKey('a@b.co'),
          ':gsi3sk': `${sortKey}pay_1`,
          ':read': 4,
        },
      },
      {
        TableName: 'paygate-test',
        Key: { pk: 'INTENT#pi_1', sk: 'INTENT' },
        UpdateExpression: 'SET gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
        ConditionExpression: '#version = :read AND attribute_not_exists(gsi1pk)',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':gsi1pk': `MERCHANT#${M}#INTENT`, ':gsi1sk': `${sortKey}pi_1`, ':read': 2 },
      },
    ]);
    expect(dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item)).toEqual([{ pk: 'MIGRATION#payment-lists', sk: 'MIGRATION', entity: 'migration' }]);
  });

  it('count one changed meanwhile as not keyed by the upgrade (the change wrote its keys), and go on', async () => {
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }))
      .resolves({});
    expect(await store().adoptLegacyPaymentLists()).toBe(1);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('are a single read once the marker says the upgrade ran through', async () => {
    dynamo.on(GetCommand).resolves({ Item: { pk: 'MIGRATION#payment-lists', sk: 'MIGRATION' } });
    expect(await store().adoptLegacyPaymentLists()).toBe(0);
    expect(dynamo.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'paygate-test', Key: { pk: 'MIGRATION#payment-lists', sk: 'MIGRATION' }, ConsistentRead: true }]);
    expect(dynamo.commandCalls(ScanCommand)).toEqual([]);
    expect(dynamo.commandCalls(UpdateCommand)).toEqual([]);
  });
});

describe('a list query as the API takes it', () => {
  const parse = (query: Record<string, string>) => ListPaymentsQuery.safeParse(query);
  const paramOf = (query: Record<string, string>) => {
    const result = parse(query);
    return result.success ? null : result.error.issues.map((i) => i.path.join('.'));
  };

  it('keeps a creation bound as UTC, whatever its offset, rounding a finer one up to the millisecond', () => {
    const { data } = parse({ 'created[gte]': '2026-11-24T11:00:00+01:00', 'created[lt]': '2026-11-24T10:00:00.0001Z' });
    expect(listRequest(data!)).toMatchObject({ createdGte: '2026-11-24T10:00:00.000Z', createdLt: '2026-11-24T10:00:00.001Z', limit: 10, offset: 0 });
    expect(parse({ 'created[gte]': '2026-11-24T10:00:00.123000Z' }).data!['created[gte]']).toBe('2026-11-24T10:00:00.123Z');
  });

  it.each([
    [{ 'created[gte]': '2026-11-24' }, 'created[gte]'],
    [{ 'created[lt]': 'yesterday' }, 'created[lt]'],
    [{ 'created[gte]': '2026-11-24T10:00:00' }, 'created[gte]'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ starting_after: 'pay_01234567890123456789', ending_before: 'pay_01234567890123456789' }, 'ending_before'],
    [{ starting_after: 'pi_01234567890123456789' }, 'starting_after'],
    [{ status: 'captured', customer_email: 'a@b.co' }, 'customer_email'],
  ])('refuses %j, naming %s', (query, param) => {
    expect(paramOf(query)).toEqual([param]);
  });

  it('refuses a cursor with an offset, and takes status and email together within an intent', () => {
    expect(paramOf({ starting_after: 'pay_01234567890123456789', offset: '5' })).not.toBeNull();
    expect(paramOf({ status: 'captured', customer_email: 'a@b.co', payment_intent: 'pi_01234567890123456789' })).toBeNull();
    expect(ListPaymentIntentsQuery.safeParse({ ending_before: 'pi_01234567890123456789', offset: '1' }).success).toBe(false);
    expect(ListTransactionsQuery.safeParse({ ending_before: 'txn_01234567890123456789', 'created[lt]': '2026-11-24T10:00:00Z' }).success).toBe(true);
  });
});

describe('positioned: a cursor is an object of the list', () => {
  const position = { createdAt: CURSOR.createdAt, id: 'pay_found' };
  const find = async (id: string) => (id === 'pay_found' ? { ...position, status: 'captured' } : null);

  it('becomes its position, and nothing else of it', async () => {
    expect(await positioned({ limit: 10, offset: 0, startingAfter: 'pay_found' }, find, 'payment')).toEqual({ limit: 10, offset: 0, startingAfter: position, endingBefore: undefined });
  });

  it.each(['startingAfter', 'endingBefore'] as const)('an unknown %s is a 400 naming its parameter', async (cursor) => {
    await expect(positioned({ limit: 10, offset: 0, [cursor]: 'pay_missing' }, find, 'payment')).rejects.toMatchObject({
      status: 400,
      code: 'validation_error',
      details: { param: cursor === 'startingAfter' ? 'starting_after' : 'ending_before' },
    });
  });
});
