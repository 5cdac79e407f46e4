/**
 * The conditions of the payment commit, pinned item by item (as Powertools' persistence tests pin
 * theirs): a dropped or weakened condition fails here even where no race in the DynamoDB Local
 * suites happens to reach it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { inflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { storedAnswerOf } from '../../shared/adapters/dynamodb/table-access.ts';
import { decideCapture, decideRefund } from '../../shared/domain/payment.ts';
import { IdempotencyPart } from '../../shared/ports.ts';
import { paymentIn } from './fixtures.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());
afterEach(() => dynamo.reset());

const store = () =>
  new DynamoDbStore(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'paygate-test');
const NOW = new Date('2026-11-24T10:00:00.000Z');

/** The items of the one transaction the store sent. */
function sentItems() {
  const calls = dynamo.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(1);
  return calls[0]!.args[0].input.TransactItems!;
}

describe('the payment commit', () => {
  it('changes a payment only at the version it was decided on, of the merchant it belongs to, in a status the change allows', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const payment = paymentIn('authorized');
    const { next, transaction, precondition } = decideCapture(payment, undefined, NOW)!;
    await store().commitPayment({ payment: next, precondition, transaction: { ...transaction, id: 'txn_1' }, events: [] });

    const [paymentItem, transactionItem] = sentItems();
    expect(paymentItem!.Put!.ConditionExpression).toBe('#version = :v AND merchantId = :m AND #status IN (:s0)');
    expect(paymentItem!.Put!.ExpressionAttributeNames).toEqual({ '#version': 'version', '#status': 'status' });
    expect(paymentItem!.Put!.ExpressionAttributeValues).toEqual({ ':v': payment.version, ':m': payment.merchantId, ':s0': 'authorized' });
    expect(paymentItem!.Put!.Item).toMatchObject({ pk: `PAYMENT#${payment.id}`, sk: 'PAYMENT', version: payment.version + 1, status: 'captured' });
    expect(transactionItem!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('refunds only while what was refunded leaves room for this refund', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const payment = paymentIn('captured');
    const { next, transaction, precondition } = decideRefund(payment, 100, null, NOW)!;
    await store().commitPayment({ payment: next, precondition, transaction: { ...transaction, id: 'txn_2' }, events: [] });

    const [paymentItem] = sentItems();
    expect(paymentItem!.Put!.ConditionExpression).toMatch(/^#version = :v AND merchantId = :m AND #status IN \(:s0(, :s1)?\) AND amountRefunded <= :refundedAtMost$/);
    expect(paymentItem!.Put!.ExpressionAttributeValues).toMatchObject({
      ':v': payment.version,
      ':m': payment.merchantId,
      ':refundedAtMost': payment.amountCaptured - 100,
    });
  });

  it('creates a payment only where none exists, and remembers the answer as the last item, owned by its request', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const payment = paymentIn('authorized');
    const lock = { recordId: `${payment.merchantId}#key`, ownerToken: 'owner-1', expiresAtEpochSeconds: 2_000_000_000 };
    const part = new IdempotencyPart(lock, { statusCode: 201, body: '{"id":"pay"}' });
    const { transaction } = decideCapture(payment, undefined, NOW)!;
    await store().commitPayment({ payment, precondition: null, transaction: { ...transaction, id: 'txn_3' }, events: [], idempotency: part });

    const items = sentItems();
    expect(items[0]!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
    const completion = items.at(-1)!.Update!;
    expect(completion.Key).toEqual({ pk: `IDEMPOTENCY#${lock.recordId}`, sk: 'IDEMPOTENCY' });
    expect(completion.ConditionExpression).toBe('ownerToken = :owner AND #status = :inProgress');
    expect(completion.ExpressionAttributeValues).toMatchObject({ ':owner': 'owner-1', ':inProgress': 'IN_PROGRESS', ':completed': 'COMPLETED' });
    // The answer is kept deflated, and reads back byte for byte.
    const stored = completion.ExpressionAttributeValues![':answer'] as Record<string, unknown>;
    expect(stored).toEqual({ statusCode: 201, bodyZ: expect.any(Uint8Array) });
    expect(storedAnswerOf(stored)).toEqual({ statusCode: 201, body: '{"id":"pay"}' });
    expect(part.committed).toBe(true);
  });

  it('writes a new authorization as three items: the payment (due for expiry at expires_at), its transaction, its event (due for dispatch)', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const payment = { ...paymentIn('authorized'), expiresAt: '2026-12-01T10:00:00.000Z' };
    const { transaction } = decideCapture(payment, undefined, NOW)!;
    const objectJson = JSON.stringify({ id: payment.id, object: 'payment', metadata: { note: 'x'.repeat(300) } });
    const event = { id: 'evt_1', merchantId: payment.merchantId, type: 'payment.authorized' as const, createdAt: NOW.toISOString(), objectJson };
    await store().commitPayment({ payment, precondition: null, transaction: { ...transaction, id: 'txn_4' }, events: [event] });

    const items = sentItems();
    expect(items.map((i) => Object.keys(i)[0])).toEqual(['Put', 'Put', 'Put']);
    const [paymentItem, transactionItem, eventItem] = items.map((i) => i.Put!.Item!);
    expect(paymentItem).toMatchObject({ pk: `PAYMENT#${payment.id}`, duepk: expect.stringMatching(/^DUE#[0-3]$/), duesk: `${payment.expiresAt}#${payment.id}` });
    expect(transactionItem).toMatchObject({ pk: 'TXN#txn_4' });
    expect(transactionItem).not.toHaveProperty('duepk');
    expect(eventItem).toMatchObject({ pk: 'EVENT#evt_1', duepk: expect.stringMatching(/^DUE#[0-3]$/), duesk: `${event.createdAt}#evt_1` });
    expect(eventItem).not.toHaveProperty('objectJson');
    expect(inflateRawSync(eventItem!['objectZ'] as Uint8Array).toString('utf8')).toBe(objectJson);
  });

  it('takes a payment out of the due index with any change: a captured payment is put without it', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const { next, transaction, precondition } = decideCapture(paymentIn('authorized'), undefined, NOW)!;
    await store().commitPayment({ payment: next, precondition, transaction: { ...transaction, id: 'txn_5' }, events: [] });
    const [paymentItem] = sentItems();
    expect(paymentItem!.Put!.Item).not.toHaveProperty('duepk');
    expect(paymentItem!.Put!.Item).not.toHaveProperty('duesk');
  });
});

describe('the fraud records', () => {
  const entry = { id: 'bl_1', merchantId: 'mch_1', type: 'email' as const, value: 'tester@example.com', createdAt: NOW.toISOString() };

  it('add a block-list entry with its value’s marker in one transaction, the marker only where no entry holds that value yet', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    expect(await store().addBlockListEntry(entry)).toEqual({ added: true });
    const [marker, listed] = sentItems();
    expect(marker!.Put!.Item).toMatchObject({ pk: 'FRAUDBLOCK#mch_1#email#tester@example.com', sk: 'BLOCK', entryId: 'bl_1', merchantId: 'mch_1' });
    expect(marker!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(listed!.Put!.Item).toMatchObject({ pk: 'BLOCK#bl_1', gsi1pk: 'MERCHANT#mch_1#BLOCK', gsi1sk: `${entry.createdAt}#bl_1` });
    expect(listed!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('count an attempt by unconditional ADDs in the payment’s commit: card, IP, and the merchant’s usual amounts when approved', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const payment = paymentIn('authorized');
    const { next, transaction, precondition } = decideCapture(payment, undefined, NOW)!;
    const subject = { merchantId: payment.merchantId, fingerprint: 'fp', email: null, clientIp: '203.0.113.9', currency: 'USD' as const };
    await store().commitPayment({
      payment: next,
      precondition,
      transaction: { ...transaction, id: 'txn_3' },
      events: [],
      fraudAttempt: { subject, atMs: NOW.getTime(), declined: false, amount: 1_000, paymentId: payment.id, smallAmount: false, newCard: true },
    });
    const counts = sentItems().filter((item) => item.Update !== undefined);
    expect(counts.map((item) => item.Update!.Key)).toEqual([
      { pk: `FRAUD#${payment.merchantId}#CARD#fp`, sk: 'FRAUD' },
      { pk: `FRAUD#${payment.merchantId}#IP#203.0.113.9`, sk: 'FRAUD' },
      { pk: `FRAUD#${payment.merchantId}#AMOUNTS#USD`, sk: expect.stringMatching(/^SHARD#[0-3]$/) },
    ]);
    for (const item of counts) {
      expect(item.Update!.ConditionExpression).toBeUndefined();
      expect(item.Update!.UpdateExpression).toMatch(/^ADD /);
    }
  });
});
