/**
 * Claiming due work with the store's exact requests pinned (aws-sdk-client-mock): the lease is a
 * conditional write on the very sort key the worker saw, and an item it cannot lease right now
 * (taken by another worker, or in a payment's commit at this moment) is skipped, not fatal.
 */
import { ConditionalCheckFailedException, DynamoDBClient, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => dynamo.reset());
const store = () =>
  new DynamoDbStore(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'paygate-test');

const NOW = new Date('2026-12-01T10:00:00.000Z');
const LEASE = new Date('2026-12-01T10:00:30.000Z');
const payment = (id: string) => ({
  pk: `PAYMENT#${id}`, sk: 'PAYMENT', entity: 'payment', id, merchantId: 'mch_1', expiresAt: '2026-12-01T09:59:00.000Z',
  duepk: 'DUE#0', duesk: `2026-12-01T09:59:00.000Z#${id}`,
});

describe('claiming due work', () => {
  it('leases each item on the sort key it was seen with, and skips one it cannot lease now', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'DUE#0', ':now': `${NOW.toISOString()}#~` } }).resolves({
      Items: [payment('pay_conflict'), payment('pay_taken'), payment('pay_ok')],
    });
    dynamo
      .on(UpdateCommand, { Key: { pk: 'PAYMENT#pay_conflict', sk: 'PAYMENT' } })
      .rejects(new TransactionConflictException({ message: 'in a transaction', $metadata: {} }));
    dynamo
      .on(UpdateCommand, { Key: { pk: 'PAYMENT#pay_taken', sk: 'PAYMENT' } })
      .rejects(new ConditionalCheckFailedException({ message: 'taken', $metadata: {} }));
    dynamo.on(UpdateCommand, { Key: { pk: 'PAYMENT#pay_ok', sk: 'PAYMENT' } }).resolves({});

    const claimed = await store().claimDueWork(NOW, LEASE, 10);

    expect(claimed).toEqual([{ id: 'pay_ok', kind: 'expire_authorization', ref: 'pay_ok', merchantId: 'mch_1', runAt: '2026-12-01T09:59:00.000Z' }]);
    const lease = dynamo.commandCalls(UpdateCommand).find((c) => c.args[0].input.Key!['pk'] === 'PAYMENT#pay_ok')!.args[0].input;
    expect(lease).toMatchObject({
      UpdateExpression: 'SET duesk = :leaseSort, dueLease = :lease',
      ConditionExpression: 'duesk = :seenSort',
      ExpressionAttributeValues: { ':leaseSort': `${LEASE.toISOString()}#pay_ok`, ':lease': LEASE.toISOString(), ':seenSort': '2026-12-01T09:59:00.000Z#pay_ok' },
    });
  });

  it('completes a payment\'s expiry by taking it out of the index, only if it is still in it (never creating an item)', async () => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    await store().completeWork({ id: 'pay_1', kind: 'expire_authorization', ref: 'pay_1', merchantId: 'mch_1', runAt: NOW.toISOString() });
    expect(dynamo.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: 'PAYMENT#pay_1', sk: 'PAYMENT' },
      UpdateExpression: 'REMOVE duepk, duesk, dueLease',
      ConditionExpression: 'attribute_exists(duepk)',
    });
  });
});
