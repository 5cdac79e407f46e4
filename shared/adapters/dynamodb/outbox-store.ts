import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DueWork, PaygateEvent } from '../../domain/events.ts';
import type { WebhookDelivery, WebhookEndpoint } from '../../domain/webhooks.ts';
import { RecordChangedError, type DeliveryQuery, type EventQuery, type IdempotencyPart, type Page } from '../../ports.ts';
import { TABLE } from './table.ts';
import { cancellationReasons, keys, strip, TableAccess, type Item, type TransactItem } from './table-access.ts';

/**
 * Due records are indexed under a few shard partitions (`DUE#0`..`DUE#3`), sorted by due time, so
 * that a worker can ask "what is due now?" without a scan and without one hot partition.
 */
export const DUE_SHARDS = 4;

function dueShard(id: string): number {
  return createHash('sha256').update(id).digest()[0]! % DUE_SHARDS;
}

/** The attributes that put an item in the `due` index at `runAt` (a Put without them takes it out). */
export function dueAttributes(id: string, runAt: string): Item {
  return { duepk: `DUE#${dueShard(id)}`, duesk: `${runAt}#${id}` };
}

/**
 * The work a due item stands for: a work item is its own; an event not yet dispatched is due for
 * dispatch; an authorized payment is due for expiry at `expiresAt`. Null for anything else. The
 * stream relay in AWS and the pollers share this reading of an item.
 */
export function workOf(item: Item): DueWork | null {
  const { entity, id, merchantId } = item as { entity?: string; id?: string; merchantId?: string };
  if (typeof id !== 'string' || typeof merchantId !== 'string') return null;
  switch (entity) {
    case 'work':
      return { id, kind: item['kind'], ref: item['ref'], merchantId, runAt: item['runAt'] } as DueWork;
    case 'event':
      return item['duepk'] ? { id, kind: 'dispatch_event', ref: id, merchantId, runAt: item['createdAt'] as string } : null;
    case 'payment':
      return item['duepk'] && typeof item['expiresAt'] === 'string'
        ? { id, kind: 'expire_authorization', ref: id, merchantId, runAt: item['expiresAt'] }
        : null;
    default:
      return null;
  }
}

/** Whether the work is the due record of the event or payment it is about (not a work item of its own). */
function isOwnRecord(work: DueWork): boolean {
  return work.id === work.ref && (work.kind === 'dispatch_event' || work.kind === 'expire_authorization');
}

/** The item that holds a due work: its own work item, or the event or payment it is about. */
function dueItemKey(work: DueWork): { pk: string; sk: string } {
  if (!isOwnRecord(work)) return keys.work(work.id);
  return work.kind === 'dispatch_event' ? keys.event(work.id) : keys.payment(work.id);
}

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * An event's object is kept deflated: the payment view is most of the event, and compressed the
 * event item (and its index entries) stays under the 1 KB that one write unit covers.
 */
function eventOf(item: Item): PaygateEvent {
  const { objectZ, ...rest } = strip<Item>(item);
  // Events written before objects were deflated hold `objectJson` as it was.
  return (objectZ instanceof Uint8Array ? { ...rest, objectJson: inflateRawSync(objectZ).toString('utf8') } : rest) as unknown as PaygateEvent;
}

/** Events, webhook endpoints, deliveries and due work: the outbox side of the store. */
export class OutboxStore extends TableAccess {
  /**
   * The event item of a commit: the outbox record itself (due for dispatch until a worker has
   * dispatched it), kept `retentionSeconds` (TTL), listed per merchant and per type.
   */
  protected eventItem(event: PaygateEvent, retentionSeconds: number): TransactItem {
    const { objectJson, ...rest } = event;
    return this.put({
      ...keys.event(event.id),
      entity: 'event',
      gsi1pk: `MERCHANT#${event.merchantId}#EVENT`,
      gsi1sk: `${event.createdAt}#${event.id}`,
      gsi2pk: `MERCHANT#${event.merchantId}#EVENT#${event.type}`,
      gsi2sk: `${event.createdAt}#${event.id}`,
      ...dueAttributes(event.id, event.createdAt),
      ttl: epochSeconds(event.createdAt) + retentionSeconds,
      ...rest,
      objectZ: deflateRawSync(objectJson),
    });
  }

  protected workItem(work: DueWork): Item {
    return { ...keys.work(work.id), entity: 'work', ...dueAttributes(work.id, work.runAt), ...work };
  }

  // ---------- events ----------

  /** Consistent: the worker reads an event the moment it is written, and must not miss it (its dispatch would be completed unsent). */
  async getEvent(merchantId: string, eventId: string): Promise<PaygateEvent | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.event(eventId), ConsistentRead: true }));
    return Item && Item['merchantId'] === merchantId ? eventOf(Item) : null;
  }

  listEvents(merchantId: string, query: EventQuery): Promise<Page<PaygateEvent>> {
    return query.type
      ? this.newestFirst('byMerchantStatus', `MERCHANT#${merchantId}#EVENT#${query.type}`, query, undefined, eventOf)
      : this.newestFirst('byMerchant', `MERCHANT#${merchantId}#EVENT`, query, undefined, eventOf);
  }

  // ---------- webhook endpoints ----------

  private endpointItem(endpoint: WebhookEndpoint): Item {
    return {
      ...keys.webhookEndpoint(endpoint.id),
      entity: 'webhook_endpoint',
      gsi1pk: `MERCHANT#${endpoint.merchantId}#WEBHOOK_ENDPOINT`,
      gsi1sk: `${endpoint.createdAt}#${endpoint.id}`,
      ...endpoint,
    };
  }

  /** The merchant's count of endpoints, kept in the same transactions as the endpoints, so a cap holds under races. */
  private endpointCount(merchantId: string, delta: 1 | -1, max?: number): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: `MERCHANT#${merchantId}`, sk: 'WEBHOOK_ENDPOINT_COUNT' },
        UpdateExpression: 'ADD endpointCount :delta',
        ...(max === undefined ? {} : { ConditionExpression: 'attribute_not_exists(endpointCount) OR endpointCount < :max' }),
        ExpressionAttributeValues: { ':delta': delta, ...(max === undefined ? {} : { ':max': max }) },
      },
    };
  }

  async createWebhookEndpoint(endpoint: WebhookEndpoint, maxPerMerchant: number, idempotency?: IdempotencyPart): Promise<boolean> {
    try {
      await this.transact([this.endpointCount(endpoint.merchantId, 1, maxPerMerchant), this.put(this.endpointItem(endpoint))], idempotency);
      return true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  getWebhookEndpoint(merchantId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.getOwned<WebhookEndpoint>(keys.webhookEndpoint(endpointId), merchantId, true);
  }

  /** Newest first; a merchant has at most a handful (the commands cap them). */
  async listWebhookEndpoints(merchantId: string): Promise<WebhookEndpoint[]> {
    const page = await this.newestFirst<WebhookEndpoint>('byMerchant', `MERCHANT#${merchantId}#WEBHOOK_ENDPOINT`, { limit: 1000, offset: 0 });
    return page.items;
  }

  async replaceWebhookSecrets(endpoint: WebhookEndpoint, expectedSecretCount: number, idempotency?: IdempotencyPart): Promise<void> {
    const update = {
      TableName: this.tableName,
      Key: keys.webhookEndpoint(endpoint.id),
      UpdateExpression: 'SET secrets = :secrets',
      ConditionExpression: 'merchantId = :m AND size(secrets) = :count',
      ExpressionAttributeValues: { ':secrets': endpoint.secrets, ':m': endpoint.merchantId, ':count': expectedSecretCount },
    };
    try {
      // One item: a plain conditional write, unless the request's answer is remembered with it.
      if (idempotency) await this.transact([{ Update: update }], idempotency);
      else await this.doc.send(new UpdateCommand(update));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || cancellationReasons(error)[0]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      throw error;
    }
  }

  async deleteWebhookEndpoint(merchantId: string, endpointId: string): Promise<boolean> {
    try {
      await this.transact([
        {
          Delete: {
            TableName: this.tableName,
            Key: keys.webhookEndpoint(endpointId),
            ConditionExpression: 'merchantId = :m',
            ExpressionAttributeValues: { ':m': merchantId },
          },
        },
        this.endpointCount(merchantId, -1),
      ]);
      return true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  // ---------- deliveries ----------

  private deliveryItem(delivery: WebhookDelivery): Item {
    return {
      ...keys.delivery(delivery.id),
      entity: 'webhook_delivery',
      gsi1pk: `MERCHANT#${delivery.merchantId}#DELIVERY`,
      gsi1sk: `${delivery.createdAt}#${delivery.id}`,
      ...delivery,
    };
  }

  async createDelivery(delivery: WebhookDelivery, work: DueWork): Promise<boolean> {
    try {
      await this.transact([this.put(this.deliveryItem(delivery)), this.put(this.workItem(work))]);
      return true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  getDelivery(merchantId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return this.getOwned<WebhookDelivery>(keys.delivery(deliveryId), merchantId, true);
  }

  listDeliveries(merchantId: string, query: DeliveryQuery): Promise<Page<WebhookDelivery>> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Item = {};
    const equal = (attribute: string, value: string | undefined) => {
      if (value === undefined) return;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      conditions.push(`#${attribute} = :${attribute}`);
    };
    equal('eventId', query.eventId);
    equal('endpointId', query.endpointId);
    equal('status', query.status);
    const filter = conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined;
    return this.newestFirst('byMerchant', `MERCHANT#${merchantId}#DELIVERY`, query, filter);
  }

  async saveDelivery(next: WebhookDelivery, work: DueWork | null, idempotency?: IdempotencyPart): Promise<void> {
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: this.deliveryItem(next),
          ConditionExpression: '#version = :previous',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':previous': next.version - 1 },
        },
      },
    ];
    if (work) items.push(this.put(this.workItem(work)));
    try {
      await this.transact(items, idempotency);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      throw error;
    }
  }

  // ---------- due work ----------

  /** Writes a work item due at its `runAt`; an event's or a payment's own due record is in the index already. */
  async scheduleWork(work: DueWork): Promise<void> {
    if (isOwnRecord(work)) return;
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: this.workItem(work) }));
  }

  /**
   * Work items written before the `due` index existed sit in gsi1 under `WORK#0`..`WORK#3`: each is
   * moved into the `due` index (due at its `runAt`; a lease it held is dropped, and work is
   * idempotent). The local gateway runs this at every start and the AWS sweeper at every run, so
   * an upgrade interrupted half-way finishes on the next one. Answers how many it moved.
   */
  async adoptLegacyWork(): Promise<number> {
    let moved = 0;
    for (let shard = 0; shard < DUE_SHARDS; shard++) {
      let startKey: Item | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: TABLE.indexes.byMerchant.name,
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': `WORK#${shard}` },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const work = workOf(item);
          if (!work) continue;
          const { duepk, duesk } = dueAttributes(work.id, work.runAt);
          const done = await this.updateIfStill({
            Key: keys.work(work.id),
            UpdateExpression: 'SET duepk = :pk, duesk = :sk REMOVE gsi1pk, gsi1sk, leasedUntil',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(duepk)',
            ExpressionAttributeValues: { ':pk': duepk, ':sk': duesk },
          });
          if (done) moved++;
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return moved;
  }

  async claimDueWork(now: Date, leaseUntil: Date, max: number): Promise<DueWork[]> {
    const index = TABLE.indexes.due;
    const due: Item[] = [];
    for (let shard = 0; shard < DUE_SHARDS && due.length < max; shard++) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND #sk <= :now',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
          ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':now': `${now.toISOString()}#~` },
          Limit: max - due.length,
        }),
      );
      due.push(...(out.Items ?? []));
    }
    const claimed: DueWork[] = [];
    for (const item of due) {
      const work = workOf(item);
      if (!work) continue;
      // The index is eventually consistent: the condition on the base item makes the claim exact.
      // The lease moves the item's place in the index, so nobody else sees it as due until it ends.
      const leased = await this.updateIfStill({
        Key: { pk: item['pk'], sk: item['sk'] },
        UpdateExpression: 'SET duesk = :leaseSort, dueLease = :lease',
        ConditionExpression: 'duesk = :seenSort',
        ExpressionAttributeValues: { ':leaseSort': `${leaseUntil.toISOString()}#${work.id}`, ':lease': leaseUntil.toISOString(), ':seenSort': item['duesk'] },
      });
      if (leased) claimed.push(work);
    }
    return claimed;
  }

  /**
   * Done: a work item goes; an event or a payment leaves the due index (if a change has not taken
   * it out already). Work is idempotent, so a late duplicate finishing after this is harmless.
   */
  async completeWork(work: DueWork): Promise<void> {
    const key = dueItemKey(work);
    if (key.sk === 'WORK') {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
      return;
    }
    await this.updateIfStill({ Key: key, UpdateExpression: 'REMOVE duepk, duesk, dueLease', ConditionExpression: 'attribute_exists(duepk)' });
  }

  /**
   * A conditional update of a due record that may lose to someone else: false when its condition
   * failed (another worker, a change meanwhile) or the item is in a commit right now (a capture at
   * its expiry); the caller skips it this time.
   */
  private async updateIfStill(update: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionConflictException) return false;
      throw error;
    }
  }
}
