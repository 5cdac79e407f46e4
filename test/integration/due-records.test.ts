/**
 * The outbox's due records: an event is due for dispatch and an authorization for expiry as the
 * records themselves (no work item rides in their commit), in the `due` index, read the same way by
 * the local poller, the AWS sweeper and the AWS stream relay; and a table made before that index
 * gets it, with its pending work moved in.
 */
import { CreateTableCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { inject, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTable, localClient } from '../../lib/local/dynamodb-local.ts';
import { workOf } from '../../shared/adapters/dynamodb/due-records.ts';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { createTableInput, TABLE } from '../../shared/adapters/dynamodb/table.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { capturePayment, createPayment } from '../../shared/commands/payments.ts';
import { processWork } from '../../shared/commands/work.ts';
import type { DueWork } from '../../shared/domain/events.ts';
import { newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';

let deps: TestDependencies;
let merchantId: string;
const client = () => localClient(inject('dynamoEndpoint'), inject('dynamoCredentials'));

beforeAll(async () => {
  deps = await testDependencies();
});
beforeEach(async () => {
  deps.clock.set(new Date('2026-11-24T10:00:00.000Z'));
  ({ merchant: { id: merchantId } } = await createMerchant(deps, 'Due Merchant'));
});

/** Claims everything due at `at` (a lease of 30 s) and keeps this test's merchant's. */
async function dueAt(at: Date): Promise<DueWork[]> {
  const claimed = await deps.store.claimDueWork(at, new Date(at.getTime() + 30_000), 1000);
  return claimed.filter((w) => w.merchantId === merchantId);
}

async function rawItem(pk: string, sk: string): Promise<Record<string, unknown>> {
  const { Item } = await client().send(new GetItemCommand({ TableName: deps.tableName, Key: marshall({ pk, sk }), ConsistentRead: true }));
  return unmarshall(Item!);
}

describe('due records', () => {
  it('an event is due for dispatch until its dispatch is done; an authorization for expiry at expires_at, until it is captured', async () => {
    const kept = await createPayment(deps, merchantId, newPayment());
    const captured = await createPayment(deps, merchantId, newPayment());
    await capturePayment(deps, merchantId, captured.id, undefined);
    const events = (await deps.store.listEvents(merchantId, { limit: 10, offset: 0 })).items;
    expect(events).toHaveLength(3);

    const now = await dueAt(deps.clock.now());
    expect(now.map((w) => w.kind)).toEqual(['dispatch_event', 'dispatch_event', 'dispatch_event']);
    expect(new Set(now.map((w) => w.ref))).toEqual(new Set(events.map((e) => e.id)));
    expect(now.every((w) => w.id === w.ref)).toBe(true);
    for (const work of now) await deps.store.completeWork(work);
    // Dispatched: out of the due index, still readable as events.
    expect(await dueAt(new Date(deps.clock.now().getTime() + 60_000))).toEqual([]);
    expect((await deps.store.listEvents(merchantId, { limit: 10, offset: 0 })).items).toHaveLength(3);

    // One second before its expiry nothing is due; at it, the authorization that was not captured.
    expect(await dueAt(new Date(Date.parse(kept.expiresAt!) - 1000))).toEqual([]);
    const expiring = await dueAt(new Date(kept.expiresAt!));
    expect(expiring).toEqual([{ id: kept.id, kind: 'expire_authorization', ref: kept.id, merchantId, runAt: kept.expiresAt }]);

    // The lease took it out of sight; completing it takes it out of the index, and the payment is unchanged.
    await deps.store.completeWork(expiring[0]!);
    expect(await dueAt(new Date(Date.parse(kept.expiresAt!) + 3_600_000))).toEqual([]);
    expect(await deps.store.getPayment(merchantId, kept.id)).toEqual(kept);
  });

  it('an expiry that runs a moment early is not done: it is not completed, and runs again when its lease ends', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    const early = { id: payment.id, kind: 'expire_authorization' as const, ref: payment.id, merchantId, runAt: payment.expiresAt! };
    deps.clock.set(new Date(Date.parse(payment.expiresAt!) - 1000));
    await expect(processWork(deps, early)).rejects.toThrow(/not expired yet/);
    expect(await deps.store.getPayment(merchantId, payment.id)).toMatchObject({ status: 'authorized' });
    deps.clock.set(new Date(payment.expiresAt!));
    const due = (await dueAt(deps.clock.now())).filter((w) => w.kind === 'expire_authorization');
    expect(due).toEqual([early]);
    await processWork(deps, due[0]!);
    expect(await deps.store.getPayment(merchantId, payment.id)).toMatchObject({ status: 'expired' });
    expect(await dueAt(new Date(Date.parse(payment.expiresAt!) + 3_600_000))).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ kind: 'expire_authorization' })]),
    );
  });

  it('is read by the stream relay from the very items the commit wrote', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    const [event] = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items;
    const paymentItem = await rawItem(`PAYMENT#${payment.id}`, 'PAYMENT');
    const eventItem = await rawItem(`EVENT#${event!.id}`, 'EVENT');
    expect(workOf(paymentItem)).toEqual({ id: payment.id, kind: 'expire_authorization', ref: payment.id, merchantId, runAt: payment.expiresAt });
    expect(workOf(eventItem)).toEqual({ id: event!.id, kind: 'dispatch_event', ref: event!.id, merchantId, runAt: event!.createdAt });

    // A sale is never due for expiry; neither is a payment once changed.
    const sale = await createPayment(deps, merchantId, newPayment({ capture: true }));
    expect(workOf(await rawItem(`PAYMENT#${sale.id}`, 'PAYMENT'))).toBeNull();
    await capturePayment(deps, merchantId, payment.id, undefined);
    expect(workOf(await rawItem(`PAYMENT#${payment.id}`, 'PAYMENT'))).toBeNull();
  });

  it('keeps no card number, sealed or not, for a payment made with a raw card', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    const item = await rawItem(`PAYMENT#${payment.id}`, 'PAYMENT');
    expect(JSON.stringify(item)).not.toMatch(/sealed|ciphertext|wrappedKey/);
    const { Item } = await client().send(new GetItemCommand({ TableName: deps.tableName, Key: marshall({ pk: `TOKEN#${payment.card.token}`, sk: 'TOKEN' }) }));
    expect(Item).toBeUndefined();
  });
});

describe('a table made before the due index', () => {
  // A database of its own (DynamoDB Local keeps one per access key id): adding an index to a table
  // waits for the database's other work, and the suite's database is busy with every other file.
  const own = { accessKeyId: `legacy${randomUUID().replaceAll('-', '').slice(0, 12)}`, secretAccessKey: 'local' };
  const client = () => localClient(inject('dynamoEndpoint'), own);

  async function legacyTable(withDueIndex: boolean): Promise<{ tableName: string; pending: DueWork }> {
    const tableName = `paygate-legacy-${randomUUID()}`;
    const legacy = createTableInput(tableName);
    if (!withDueIndex) {
      legacy.GlobalSecondaryIndexes = legacy.GlobalSecondaryIndexes!.filter((i) => i.IndexName !== TABLE.indexes.due.name);
      legacy.AttributeDefinitions = legacy.AttributeDefinitions!.filter((a) => !a.AttributeName!.startsWith('due'));
    }
    await client().send(new CreateTableCommand(legacy));
    const pending: DueWork = { id: 'wrk_legacy0000000000000000001', kind: 'expire_authorization', ref: 'pay_legacy', merchantId, runAt: '2026-11-24T09:00:00.000Z' };
    // As the previous version wrote it: indexed in gsi1 under a WORK shard, leased by a worker that died.
    const item: Record<string, AttributeValue> = marshall({
      pk: `WORK#${pending.id}`, sk: 'WORK', entity: 'work', gsi1pk: 'WORK#1', gsi1sk: `2026-11-24T09:00:30.000Z#${pending.id}`, leasedUntil: '2026-11-24T09:00:30.000Z', ...pending,
    });
    await client().send(new PutItemCommand({ TableName: tableName, Item: item }));
    return { tableName, pending };
  }

  it('gets the index at start, and its pending work items are due again, nothing lost', async () => {
    const { tableName, pending } = await legacyTable(false);
    await ensureTable(client(), tableName);
    const store = new DynamoDbStore(client(), tableName);
    expect(await store.adoptLegacyWork()).toBe(1);
    expect(await store.adoptLegacyWork()).toBe(0); // the next start has nothing left to move

    const at = new Date('2026-11-24T10:00:00.000Z');
    expect(await store.claimDueWork(at, new Date(at.getTime() + 30_000), 10)).toEqual([pending]);
  });

  it('finishes a move that a crash interrupted after the index was made', async () => {
    const { tableName, pending } = await legacyTable(true);
    await ensureTable(client(), tableName);
    const store = new DynamoDbStore(client(), tableName);
    expect(await store.adoptLegacyWork()).toBe(1);
    const at = new Date('2026-11-24T10:00:00.000Z');
    expect(await store.claimDueWork(at, new Date(at.getTime() + 30_000), 10)).toEqual([pending]);
    // Done, a moved work item is deleted like any other.
    await store.completeWork(pending);
    expect(await store.claimDueWork(new Date(at.getTime() + 60_000), new Date(at.getTime() + 90_000), 10)).toEqual([]);
  });
});
