/**
 * Which key serves which filter of the delivery lists, pinned request by request: a list that went
 * back to reading a merchant's history and discarding (a FilterExpression, a partition without its
 * status) fails here, as would a delivery written without the keys that list it, or an upgrade
 * that keys a delivery changed since it was read.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import type { WebhookDelivery } from '../../shared/domain/webhooks.ts';
import type { DeliveryQuery } from '../../shared/ports.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
});
afterEach(() => dynamo.reset());

const store = () =>
  new DynamoDbStore(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'paygate-test');

const M = 'mch_1';
const E = 'we_1';
const V = 'evt_1';
const CURSOR = { createdAt: '2026-11-24T10:00:00.000Z', id: 'whd_cursor' };

const delivery: WebhookDelivery = {
  id: 'whd_1',
  merchantId: M,
  eventId: V,
  eventType: 'payment.captured',
  endpointId: E,
  url: 'https://hooks.example.com/paygate',
  status: 'pending',
  attempts: 0,
  lastStatusCode: null,
  lastError: null,
  lastAttemptAt: null,
  nextAttemptAt: '2026-11-24T10:00:00.000Z',
  deadline: '2026-11-25T10:00:00.000Z',
  manual: false,
  createdAt: '2026-11-24T10:00:00.000Z',
  version: 1,
};

async function queriesOf(query: Omit<DeliveryQuery, 'limit' | 'offset'>) {
  await store().listDeliveries(M, { limit: 10, offset: 0, ...query });
  return dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
}

describe('the delivery lists', () => {
  it.each([
    ['no filter', {}, 'gsi1', `MERCHANT#${M}#DELIVERY`],
    ['a status', { status: 'expired' as const }, 'gsi2', `MERCHANT#${M}#DELIVERY#expired`],
    ['an endpoint and a status', { endpointId: E, status: 'failed' as const }, 'gsi3', `MERCHANT#${M}#WEBHOOK_ENDPOINT#${E}#DELIVERY#failed`],
  ])('with %s: one key condition on its index partition, newest first, a page and one more, nothing filtered', async (_, query, index, partition) => {
    const [input, ...more] = await queriesOf(query);
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

  it('by endpoint alone: one key condition per status partition of the endpoint, each reading a page and one more', async () => {
    const inputs = await queriesOf({ endpointId: E });
    expect(inputs.map((i) => i.ExpressionAttributeValues![':pk'])).toEqual(
      ['pending', 'succeeded', 'failed', 'expired'].map((status) => `MERCHANT#${M}#WEBHOOK_ENDPOINT#${E}#DELIVERY#${status}`),
    );
    for (const input of inputs) {
      expect(input).toMatchObject({ IndexName: 'gsi3', KeyConditionExpression: '#pk = :pk', Limit: 11 });
      expect(input.FilterExpression).toBeUndefined();
    }
  });

  it('after a cursor: the older side of its sort key, in the key condition', async () => {
    const [input] = await queriesOf({ status: 'failed', startingAfter: CURSOR });
    expect(input).toMatchObject({
      IndexName: 'gsi2',
      KeyConditionExpression: '#pk = :pk AND #sk < :upper',
      ExpressionAttributeNames: { '#pk': 'gsi2pk', '#sk': 'gsi2sk' },
      ExpressionAttributeValues: { ':pk': `MERCHANT#${M}#DELIVERY#failed`, ':upper': `${CURSOR.createdAt}#${CURSOR.id}` },
      ScanIndexForward: false,
    });
    expect(input!.FilterExpression).toBeUndefined();
  });

  it('before a cursor: the newer side, read from the cursor up', async () => {
    const [input] = await queriesOf({ endpointId: E, status: 'succeeded', endingBefore: CURSOR });
    expect(input).toMatchObject({
      IndexName: 'gsi3',
      KeyConditionExpression: '#pk = :pk AND #sk > :lower',
      ExpressionAttributeValues: { ':lower': `${CURSOR.createdAt}#${CURSOR.id}` },
      ScanIndexForward: true,
    });
    expect(input!.FilterExpression).toBeUndefined();
  });

  it('by event: the merchant’s links in the event’s item collection (keys only), then those deliveries by key', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ pk: `EVENT#${V}`, sk: `DELIVERY#${M}#whd_1` }] });
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'paygate-test': [{ pk: 'DELIVERY#whd_1', sk: 'DELIVERY', ...delivery }] } });
    const page = await store().listDeliveries(M, { eventId: V, status: 'pending', limit: 10, offset: 0 });
    expect(page).toEqual({ items: [delivery], hasMore: false });
    const [input, ...more] = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(more).toEqual([]);
    expect(input).toEqual({
      TableName: 'paygate-test',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :merchant)',
      ExpressionAttributeValues: { ':pk': `EVENT#${V}`, ':merchant': `DELIVERY#${M}#` },
      ProjectionExpression: 'pk, sk',
    });
    expect(dynamo.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems)).toEqual([
      { 'paygate-test': { Keys: [{ pk: 'DELIVERY#whd_1', sk: 'DELIVERY' }] } },
    ]);
  });
});

describe('the keys of a delivery', () => {
  it('are written with it: its merchant’s list, its status in the merchant’s and in its endpoint’s, and its link in the event’s collection', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    await store().createDelivery(delivery, { id: 'wrk_1', kind: 'deliver_webhook', ref: delivery.id, merchantId: M, runAt: delivery.createdAt });
    const [items] = dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(items!.map((i) => i.Put!.Item!['pk'])).toEqual(['DELIVERY#whd_1', 'WORK#wrk_1', `EVENT#${V}`]);
    const sortKey = `${delivery.createdAt}#${delivery.id}`;
    expect(items![0]!.Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        gsi1pk: `MERCHANT#${M}#DELIVERY`,
        gsi1sk: sortKey,
        gsi2pk: `MERCHANT#${M}#DELIVERY#pending`,
        gsi2sk: sortKey,
        gsi3pk: `MERCHANT#${M}#WEBHOOK_ENDPOINT#${E}#DELIVERY#pending`,
        gsi3sk: sortKey,
      },
    });
    expect(items![2]!.Put!.Item).toEqual({ pk: `EVENT#${V}`, sk: `DELIVERY#${M}#whd_1`, entity: 'event_delivery' });
  });

  it('move with its status when it is saved, at the version it was read', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    await store().saveDelivery({ ...delivery, status: 'succeeded', attempts: 1, version: 2 }, null);
    const [items] = dynamo.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems!);
    expect(items).toHaveLength(1);
    expect(items![0]!.Put).toMatchObject({
      ConditionExpression: '#version = :previous',
      ExpressionAttributeValues: { ':previous': 1 },
      Item: { gsi2pk: `MERCHANT#${M}#DELIVERY#succeeded`, gsi3pk: `MERCHANT#${M}#WEBHOOK_ENDPOINT#${E}#DELIVERY#succeeded` },
    });
  });

  it('are given to a delivery written before them only at the version it was read, and only if it still lacks them', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(ScanCommand).resolves({ Items: [{ pk: 'DELIVERY#whd_1', sk: 'DELIVERY', entity: 'webhook_delivery', gsi1pk: `MERCHANT#${M}#DELIVERY`, gsi1sk: 'x', ...delivery, version: 3 }] });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    expect(await store().adoptLegacyDeliveries()).toBe(1);
    const [update] = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      Key: { pk: 'DELIVERY#whd_1', sk: 'DELIVERY' },
      ConditionExpression: '#version = :read AND attribute_not_exists(gsi3pk)',
      ExpressionAttributeValues: { ':read': 3, ':gsi2pk': `MERCHANT#${M}#DELIVERY#pending`, ':gsi3pk': `MERCHANT#${M}#WEBHOOK_ENDPOINT#${E}#DELIVERY#pending` },
    });
    // Its event's link, then the marker that makes the next start a single read.
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item)).toEqual([
      { pk: `EVENT#${V}`, sk: `DELIVERY#${M}#whd_1`, entity: 'event_delivery' },
      { pk: 'MIGRATION#delivery-lists', sk: 'MIGRATION', entity: 'migration' },
    ]);
  });
});
