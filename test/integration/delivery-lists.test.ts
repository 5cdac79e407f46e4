/**
 * The lists of `GET /api/v1/webhook-deliveries` on DynamoDB Local: every filter and combination of
 * filters is a key condition, so a page reads items in proportion to its limit whatever the
 * merchant's history (API.md, "Lists"), newest first, by cursor; a delivery moves between the
 * status lists as it changes; deliveries written before their keys are found once the table is
 * upgraded, the way a data dir is at the gateway's start.
 */
import { CreateTableCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable, LOCAL_REGION, localClient } from '../../lib/local/dynamodb-local.ts';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { createTableInput, TABLE } from '../../shared/adapters/dynamodb/table.ts';
import { cryptoIds } from '../../shared/adapters/system.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { deliveryId, listDeliveries } from '../../shared/commands/webhooks.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import type { DueWork } from '../../shared/domain/events.ts';
import { DELIVERY_STATUSES, type DeliveryStatus, type WebhookDelivery } from '../../shared/domain/webhooks.ts';
import type { Page } from '../../shared/ports.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { ExaminedItems } from '../support/examined-items.ts';

interface Filter {
  eventId?: string;
  endpointId?: string;
  status?: DeliveryStatus;
}


const newestFirst = (a: WebhookDelivery, b: WebhookDelivery) => {
  const [x, y] = [`${a.createdAt}#${a.id}`, `${b.createdAt}#${b.id}`];
  return x < y ? 1 : x > y ? -1 : 0;
};

function delivery(merchantId: string, eventId: string, endpointId: string, createdAt: string, status: DeliveryStatus): WebhookDelivery {
  const done = status !== 'pending';
  return {
    id: deliveryId(eventId, endpointId),
    merchantId,
    eventId,
    eventType: 'payment.captured',
    endpointId,
    url: 'https://hooks.example.com/paygate',
    status,
    attempts: done ? 1 : 0,
    lastStatusCode: status === 'succeeded' ? 200 : done ? 500 : null,
    lastError: status === 'failed' ? 'receiver says no' : null,
    lastAttemptAt: done ? createdAt : null,
    nextAttemptAt: done ? null : createdAt,
    deadline: new Date(Date.parse(createdAt) + 86_400_000).toISOString(),
    manual: false,
    createdAt,
    version: 1,
  };
}

const firstAttempt = (d: WebhookDelivery): DueWork => ({ id: cryptoIds.next('work'), kind: 'deliver_webhook', ref: d.id, merchantId: d.merchantId, runAt: d.createdAt });

async function createAll(deps: Pick<Dependencies, 'store'>, deliveries: WebhookDelivery[]): Promise<void> {
  for (let i = 0; i < deliveries.length; i += 10) {
    await Promise.all(deliveries.slice(i, i + 10).map((d) => deps.store.createDelivery(d, firstAttempt(d))));
  }
}

let deps: TestDependencies;
const examined = new ExaminedItems();
let merchantId: string;
let endpoints: string[];
let events: string[];
let all: WebhookDelivery[];

// A merchant with a history: 120 events, each delivered to 1 to 4 of its 4 endpoints (300
// deliveries), each event's deliveries made at one instant (as a dispatch makes them), in every
// status but `expired`. Another merchant's deliveries share the table and must never show.
beforeAll(async () => {
  deps = await testDependencies();
  examined.attach(deps.rawClient);
  ({ merchant: { id: merchantId } } = await createMerchant(deps, 'Delivery Lists Merchant'));
  endpoints = Array.from({ length: 4 }, () => cryptoIds.next('webhookEndpoint'));
  events = Array.from({ length: 120 }, () => cryptoIds.next('event'));
  const statuses: DeliveryStatus[] = ['succeeded', 'succeeded', 'failed', 'succeeded', 'pending'];
  all = events.flatMap((eventId, i) =>
    Array.from({ length: 1 + (i % 4) }, (_, j) =>
      delivery(merchantId, eventId, endpoints[(i + j) % 4]!, new Date(Date.parse('2026-11-01T00:00:00.000Z') + i * 60_000).toISOString(), statuses[(i * 7 + j * 3) % 5]!),
    ),
  );
  expect(all).toHaveLength(300);
  const { merchant: other } = await createMerchant(deps, 'Another Merchant');
  const elsewhere = events.slice(0, 4).map((eventId, i) => delivery(other.id, `${eventId}x`, endpoints[i]!, all[0]!.createdAt, 'expired'));
  await createAll(deps, [...all, ...elsewhere]);
}, 120_000);

const wanted = (filter: Filter, deliveries = all) =>
  deliveries
    .filter((d) => (filter.eventId === undefined || d.eventId === filter.eventId) && (filter.endpointId === undefined || d.endpointId === filter.endpointId) && (filter.status === undefined || d.status === filter.status))
    .sort(newestFirst);

/**
 * What a page may read at most, whatever the history: the skipped offset, a page and one more from
 * each partition it reads (four for an endpoint across its statuses), or an event's links and
 * deliveries (one per endpoint it went to); and the cursor's own delivery.
 */
function readsAtMost(filter: Filter, window: { limit: number; offset: number }, withCursor: boolean): number {
  const cursor = withCursor ? 1 : 0;
  const perPartition = window.offset + window.limit + 1;
  if (filter.eventId !== undefined) return 2 * all.filter((d) => d.eventId === filter.eventId).length + cursor;
  if (filter.endpointId !== undefined && filter.status === undefined) return DELIVERY_STATUSES.length * perPartition + cursor;
  return perPartition + cursor;
}

async function page(filter: Filter, window: { limit: number; offset?: number; startingAfter?: string; endingBefore?: string }): Promise<Page<WebhookDelivery>> {
  const { result, examined: reads } = await examined.during(() => listDeliveries(deps, merchantId, { ...filter, offset: 0, ...window }));
  const bound = readsAtMost(filter, { limit: window.limit, offset: window.offset ?? 0 }, window.startingAfter !== undefined || window.endingBefore !== undefined);
  expect(reads, JSON.stringify({ filter, window })).toBeLessThanOrEqual(bound);
  return result;
}

/** Every page after the first by `starting_after`, then the same walk back by `ending_before`. */
async function walk(filter: Filter, limit: number): Promise<void> {
  const expected = wanted(filter);
  const forward: WebhookDelivery[] = [];
  let cursor: string | undefined;
  for (;;) {
    const next = await page(filter, { limit, ...(cursor ? { startingAfter: cursor } : {}) });
    expect(next.items.length, JSON.stringify(filter)).toBe(Math.min(limit, expected.length - forward.length));
    forward.push(...next.items);
    expect(next.hasMore).toBe(forward.length < expected.length);
    if (!next.hasMore) break;
    cursor = next.items.at(-1)!.id;
  }
  expect(forward.map((d) => d.id), JSON.stringify(filter)).toEqual(expected.map((d) => d.id));
  expect(forward).toEqual(expected);

  // Back from the oldest: each page is the `limit` newer ones nearest the cursor, newest first.
  let position = expected.length - 1;
  while (position > 0) {
    const previous = await page(filter, { limit, endingBefore: expected[position]!.id });
    const from = Math.max(0, position - limit);
    expect(previous.items.map((d) => d.id), JSON.stringify({ filter, position })).toEqual(expected.slice(from, position).map((d) => d.id));
    expect(previous.hasMore).toBe(from > 0);
    position = from;
  }
}

describe('the delivery lists of a merchant with 300 deliveries', () => {
  it('are exactly the merchant’s deliveries newest first, page by page by cursor, each page reading a page and one more', async () => {
    await walk({}, 10);
  });

  it.each(DELIVERY_STATUSES)('by status %s: exactly those, by cursor both ways, each page reading a page and one more', async (status) => {
    await walk({ status }, 10);
  });

  it('by endpoint, and by endpoint and status: exactly those, the endpoint’s whole list merging its four status partitions', async () => {
    for (const endpointId of endpoints) {
      await walk({ endpointId }, 10);
      for (const status of DELIVERY_STATUSES) await walk({ endpointId, status }, 7);
    }
  });

  it('by event, alone or with an endpoint, a status or both: read from the event’s own deliveries, whatever the history', async () => {
    for (const eventId of events.slice(0, 8)) {
      await walk({ eventId }, 2);
      for (const status of DELIVERY_STATUSES) await walk({ eventId, status }, 1);
      for (const endpointId of endpoints) {
        await walk({ eventId, endpointId }, 1);
        await walk({ eventId, endpointId, status: all.find((d) => d.eventId === eventId)!.status }, 1);
      }
    }
    // An event of another merchant, or an unknown one, lists nothing.
    expect((await page({ eventId: `${events[0]}x` }, { limit: 10 })).items).toEqual([]);
    expect((await page({ eventId: cryptoIds.next('event') }, { limit: 10 })).items).toEqual([]);
  });

  it('reads at most 2 items for an empty page of expired deliveries (limit 1), and a page and one more for a full one', async () => {
    const empty = await examined.during(() => listDeliveries(deps, merchantId, { status: 'expired', limit: 1, offset: 0 }));
    expect(empty.result).toEqual({ items: [], hasMore: false });
    expect(empty.examined).toBeLessThanOrEqual(2);
    for (const status of ['succeeded', 'failed', 'pending'] as const) {
      const full = await examined.during(() => listDeliveries(deps, merchantId, { status, limit: 5, offset: 0 }));
      expect(full.result.items).toEqual(wanted({ status }).slice(0, 5));
      expect(full.examined).toBeLessThanOrEqual(6);
    }
    const endpointFailed = await examined.during(() => listDeliveries(deps, merchantId, { endpointId: endpoints[0], status: 'failed', limit: 1, offset: 0 }));
    expect(endpointFailed.result.items).toEqual(wanted({ endpointId: endpoints[0]!, status: 'failed' }).slice(0, 1));
    expect(endpointFailed.examined).toBeLessThanOrEqual(2);
  });

  it('still pages by offset on every path', async () => {
    for (const filter of [{}, { status: 'failed' }, { endpointId: endpoints[1]! }, { endpointId: endpoints[1]!, status: 'succeeded' }, { eventId: events[3]! }] as Filter[]) {
      const expected = wanted(filter);
      const { items, hasMore } = await page(filter, { limit: 2, offset: 1 });
      expect(items, JSON.stringify(filter)).toEqual(expected.slice(1, 3));
      expect(hasMore).toBe(expected.length > 3);
    }
  });

  it('refuses a cursor that is not one of the merchant’s deliveries', async () => {
    await expect(listDeliveries(deps, merchantId, { limit: 10, offset: 0, startingAfter: deliveryId(cryptoIds.next('event'), endpoints[0]!) })).rejects.toMatchObject({
      status: 400,
      details: { param: 'starting_after' },
    });
  });
});

describe('a delivery that changes status', () => {
  it('moves from one status list to the other, in the merchant’s and in its endpoint’s, and stays in its event’s', async () => {
    const { merchant } = await createMerchant(deps, 'Status Moves');
    const endpointId = cryptoIds.next('webhookEndpoint');
    const eventId = cryptoIds.next('event');
    const pending = delivery(merchant.id, eventId, endpointId, '2026-11-24T10:00:00.000Z', 'pending');
    await createAll(deps, [pending]);
    const ids = async (filter: Filter) => (await listDeliveries(deps, merchant.id, { ...filter, limit: 10, offset: 0 })).items.map((d) => `${d.id}:${d.status}`);
    expect(await ids({ status: 'pending' })).toEqual([`${pending.id}:pending`]);
    expect(await ids({ endpointId, status: 'pending' })).toEqual([`${pending.id}:pending`]);

    const expired: WebhookDelivery = { ...pending, status: 'expired', nextAttemptAt: null, version: 2 };
    await deps.store.saveDelivery(expired, null);
    expect(await ids({ status: 'pending' })).toEqual([]);
    expect(await ids({ endpointId, status: 'pending' })).toEqual([]);
    expect(await ids({ status: 'expired' })).toEqual([`${pending.id}:expired`]);
    expect(await ids({ endpointId, status: 'expired' })).toEqual([`${pending.id}:expired`]);
    expect(await ids({ endpointId })).toEqual([`${pending.id}:expired`]);
    expect(await ids({ eventId, status: 'expired' })).toEqual([`${pending.id}:expired`]);
    expect(await ids({})).toEqual([`${pending.id}:expired`]);
  });
});

describe('deliveries written before their keys by status, endpoint and event', () => {
  // A database of its own (DynamoDB Local keeps one per access key id): adding an index to a table
  // waits for the database's other work, and the suite's database is busy with every other file.
  const own = { accessKeyId: `legacy${randomUUID().replaceAll('-', '').slice(0, 12)}`, secretAccessKey: 'local' };
  const client = () => localClient(inject('dynamoEndpoint'), own);

  /** A table as the previous version made it (no gsi3), holding deliveries as it wrote them: listed in gsi1 only. */
  async function legacyTable(): Promise<{ tableName: string; merchantId: string; endpointId: string; old: WebhookDelivery[] }> {
    const tableName = `paygate-legacy-${randomUUID()}`;
    const legacy = createTableInput(tableName);
    legacy.GlobalSecondaryIndexes = legacy.GlobalSecondaryIndexes!.filter((i) => i.IndexName !== TABLE.indexes.byParent.name);
    legacy.AttributeDefinitions = legacy.AttributeDefinitions!.filter((a) => !a.AttributeName!.startsWith('gsi3'));
    await client().send(new CreateTableCommand(legacy));
    const merchantId = cryptoIds.next('merchant');
    const endpointId = cryptoIds.next('webhookEndpoint');
    const old = (['succeeded', 'failed', 'expired'] as const).map((status, i) =>
      delivery(merchantId, cryptoIds.next('event'), endpointId, `2026-10-0${i + 1}T10:00:00.000Z`, status),
    );
    for (const d of old) {
      const item = { pk: `DELIVERY#${d.id}`, sk: 'DELIVERY', entity: 'webhook_delivery', gsi1pk: `MERCHANT#${merchantId}#DELIVERY`, gsi1sk: `${d.createdAt}#${d.id}`, ...d };
      await client().send(new PutItemCommand({ TableName: tableName, Item: marshall(item, { removeUndefinedValues: true }) }));
    }
    return { tableName, merchantId, endpointId, old };
  }

  const listed = async (store: DynamoDbStore, merchantId: string, filter: Filter) =>
    (await store.listDeliveries(merchantId, { ...filter, limit: 10, offset: 0 })).items.map((d) => d.id);

  it('are found under every filter once the table has its new index and the gateway has given them their keys; the next start does nothing', async () => {
    const { tableName, merchantId, endpointId, old } = await legacyTable();
    await ensureTable(client(), tableName); // the start of a gateway on an old data dir: gsi3 is added
    const store = new DynamoDbStore(client(), tableName);
    // Before the keys, an old delivery is in the merchant's whole list only.
    expect(await listed(store, merchantId, {})).toEqual(old.map((d) => d.id).reverse());
    expect(await listed(store, merchantId, { status: 'failed' })).toEqual([]);

    expect(await store.adoptLegacyDeliveries()).toBe(3);
    expect(await store.adoptLegacyDeliveries()).toBe(0);
    for (const d of old) {
      expect(await listed(store, merchantId, { status: d.status })).toEqual([d.id]);
      expect(await listed(store, merchantId, { endpointId, status: d.status })).toEqual([d.id]);
      expect(await listed(store, merchantId, { eventId: d.eventId })).toEqual([d.id]);
      expect(await listed(store, merchantId, { eventId: d.eventId, status: d.status })).toEqual([d.id]);
    }
    expect(await listed(store, merchantId, { endpointId })).toEqual(old.map((d) => d.id).reverse());

    // A retry of an old delivery then moves it like any other.
    await store.saveDelivery({ ...old[1]!, status: 'pending', manual: true, version: 2 }, null);
    expect(await listed(store, merchantId, { status: 'failed' })).toEqual([]);
    expect(await listed(store, merchantId, { endpointId, status: 'pending' })).toEqual([old[1]!.id]);
  });

  it('finishes an upgrade that stopped half-way, and leaves a delivery changed meanwhile as it was saved', async () => {
    const { tableName, merchantId, endpointId, old } = await legacyTable();
    await ensureTable(client(), tableName);
    const store = new DynamoDbStore(client(), tableName);
    // Before the upgrade ran, this code saved the first (a retry: its keys, but no event link yet);
    // a run that stopped half-way had keyed the second.
    await store.saveDelivery({ ...old[0]!, status: 'pending', manual: true, version: 2 }, null);
    await client().send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ pk: `DELIVERY#${old[1]!.id}`, sk: 'DELIVERY' }),
        UpdateExpression: 'SET gsi2pk = :pk2, gsi2sk = :sk, gsi3pk = :pk3, gsi3sk = :sk',
        ExpressionAttributeValues: marshall({
          ':pk2': `MERCHANT#${merchantId}#DELIVERY#failed`,
          ':pk3': `MERCHANT#${merchantId}#WEBHOOK_ENDPOINT#${endpointId}#DELIVERY#failed`,
          ':sk': `${old[1]!.createdAt}#${old[1]!.id}`,
        }),
      }),
    );
    expect(await store.adoptLegacyDeliveries()).toBe(1);
    const { Item } = await client().send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: `DELIVERY#${old[0]!.id}`, sk: 'DELIVERY' }), ConsistentRead: true }));
    expect(Item?.['status']).toEqual({ S: 'pending' });
    expect(await listed(store, merchantId, { endpointId, status: 'pending' })).toEqual([old[0]!.id]);
    for (const d of old) expect(await listed(store, merchantId, { eventId: d.eventId })).toEqual([d.id]);
    expect(await listed(store, merchantId, { status: 'failed' })).toEqual([old[1]!.id]);
    expect(await listed(store, merchantId, { status: 'expired' })).toEqual([old[2]!.id]);
  });

  it('get their keys in AWS from the operator’s command, which runs the same upgrade', async () => {
    const { tableName, merchantId, old } = await legacyTable();
    await ensureTable(client(), tableName);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['bin/adopt-legacy-lists.ts', '--table', tableName], {
      env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), AWS_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: own.accessKeyId, AWS_SECRET_ACCESS_KEY: own.secretAccessKey },
    });
    expect(stdout).toContain(`${tableName}: 3 deliveries keyed`);
    const store = new DynamoDbStore(client(), tableName);
    expect(await listed(store, merchantId, { status: 'expired' })).toEqual([old[2]!.id]);
  });
});
