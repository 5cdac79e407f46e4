import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DueWork } from '../../domain/events.ts';
import { DELIVERY_STATUSES, type DeliveryStatus, type WebhookDelivery, type WebhookEndpoint } from '../../domain/webhooks.ts';
import { RecordChangedError, type DeliveryQuery, type IdempotencyPart, type Page, type WebhookStore } from '../../ports.ts';
import type { DueWorkRecords } from './due-records.ts';
import { cancellationReasons, keys, listSortKey, listWindow, newestFirstBy, pageOf, strip, type Item, type ListWindow, type TableAccess, type TransactItem } from './table-access.ts';

/**
 * Where a delivery is listed: every list's sort key is `<created>#<id>`, so a cursor is one
 * position in all of them. Which key serves which filter (API.md: a key condition, never a
 * read-and-discard):
 *
 * - none: gsi1 `MERCHANT#<m>#DELIVERY`;
 * - `status`: gsi2 `MERCHANT#<m>#DELIVERY#<status>`;
 * - `endpoint_id` and `status`: gsi3 `MERCHANT#<m>#WEBHOOK_ENDPOINT#<e>#DELIVERY#<status>`;
 * - `endpoint_id` alone: the endpoint's four status partitions of gsi3, merged newest first (each
 *   reads at most a page past the cursor);
 * - `event_id`, with or without the others: the event's own item collection
 *   (`EVENT#<v>`, `DELIVERY#<m>#<delivery id>`, keys only), then the deliveries by key. An event
 *   has at most one delivery per endpoint (the id is derived from both; nothing resends), and it
 *   is dispatched to at most MAX_ENDPOINTS_PER_MERCHANT (16) at a time, so its collection is
 *   bounded whatever the merchant's history: the other filters are applied to it.
 *
 * A delivery's status is in two of its keys, so a change of status moves its gsi2 and gsi3
 * entries (its gsi1 entry is rewritten in place, its event's link never).
 */
const deliveryLists = {
  merchant: (merchantId: string) => `MERCHANT#${merchantId}#DELIVERY`,
  merchantStatus: (merchantId: string, status: DeliveryStatus) => `MERCHANT#${merchantId}#DELIVERY#${status}`,
  endpointStatus: (merchantId: string, endpointId: string, status: DeliveryStatus) => `MERCHANT#${merchantId}#WEBHOOK_ENDPOINT#${endpointId}#DELIVERY#${status}`,
};


/** The keys that list a delivery under its merchant, its status and its endpoint. */
function deliveryListKeys(delivery: WebhookDelivery): Item {
  const sortKey = listSortKey(delivery);
  return {
    gsi1pk: deliveryLists.merchant(delivery.merchantId),
    gsi1sk: sortKey,
    gsi2pk: deliveryLists.merchantStatus(delivery.merchantId, delivery.status),
    gsi2sk: sortKey,
    gsi3pk: deliveryLists.endpointStatus(delivery.merchantId, delivery.endpointId, delivery.status),
    gsi3sk: sortKey,
  };
}

/** The delivery's link in its event's item collection: its keys and nothing else, never rewritten. */
function eventLinkItem(delivery: WebhookDelivery): Item {
  return { ...keys.eventDelivery(delivery.eventId, delivery.merchantId, delivery.id), entity: 'event_delivery' };
}

/** The one upgrade of stored deliveries (`adoptLegacyDeliveries`), marked done once it has run through. */
const LEGACY_DELIVERIES_MIGRATION = 'delivery-lists';

/** Webhook endpoints (capped per merchant by a count kept in the same transactions) and their deliveries. */
export class WebhookRecords implements WebhookStore {
  private readonly table: TableAccess;
  private readonly due: DueWorkRecords;

  constructor(table: TableAccess, due: DueWorkRecords) {
    this.table = table;
    this.due = due;
  }

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
        TableName: this.table.tableName,
        Key: { pk: `MERCHANT#${merchantId}`, sk: 'WEBHOOK_ENDPOINT_COUNT' },
        UpdateExpression: 'ADD endpointCount :delta',
        ...(max === undefined ? {} : { ConditionExpression: 'attribute_not_exists(endpointCount) OR endpointCount < :max' }),
        ExpressionAttributeValues: { ':delta': delta, ...(max === undefined ? {} : { ':max': max }) },
      },
    };
  }

  async createWebhookEndpoint(endpoint: WebhookEndpoint, maxPerMerchant: number, idempotency?: IdempotencyPart): Promise<boolean> {
    return this.table.transactUnlessFirstRefused([this.endpointCount(endpoint.merchantId, 1, maxPerMerchant), this.table.put(this.endpointItem(endpoint))], idempotency);
  }

  getWebhookEndpoint(merchantId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.table.getOwned<WebhookEndpoint>(keys.webhookEndpoint(endpointId), merchantId, true);
  }

  /** Newest first; a merchant has at most a handful (the commands cap them). */
  async listWebhookEndpoints(merchantId: string): Promise<WebhookEndpoint[]> {
    const page = await this.table.newestFirst<WebhookEndpoint>('byMerchant', `MERCHANT#${merchantId}#WEBHOOK_ENDPOINT`, { limit: 1000, offset: 0 });
    return page.items;
  }

  async replaceWebhookSecrets(endpoint: WebhookEndpoint, expectedSecretCount: number, idempotency?: IdempotencyPart): Promise<void> {
    const update = {
      TableName: this.table.tableName,
      Key: keys.webhookEndpoint(endpoint.id),
      UpdateExpression: 'SET secrets = :secrets',
      ConditionExpression: 'merchantId = :m AND size(secrets) = :count',
      ExpressionAttributeValues: { ':secrets': endpoint.secrets, ':m': endpoint.merchantId, ':count': expectedSecretCount },
    };
    try {
      // One item: a plain conditional write, unless the request's answer is remembered with it.
      if (idempotency) await this.table.transact([{ Update: update }], idempotency);
      else await this.table.doc.send(new UpdateCommand(update));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || cancellationReasons(error)[0]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      throw error;
    }
  }

  async deleteWebhookEndpoint(merchantId: string, endpointId: string): Promise<boolean> {
    return this.table.transactUnlessFirstRefused([
        {
          Delete: {
            TableName: this.table.tableName,
            Key: keys.webhookEndpoint(endpointId),
            ConditionExpression: 'merchantId = :m',
            ExpressionAttributeValues: { ':m': merchantId },
          },
        },
        this.endpointCount(merchantId, -1),
      ]);
  }

  private deliveryItem(delivery: WebhookDelivery): Item {
    return { ...keys.delivery(delivery.id), entity: 'webhook_delivery', ...deliveryListKeys(delivery), ...delivery };
  }

  /** The delivery, its first attempt's work and its link in the event's collection, in one commit. */
  async createDelivery(delivery: WebhookDelivery, work: DueWork): Promise<boolean> {
    return this.table.transactUnlessFirstRefused([
      this.table.put(this.deliveryItem(delivery)),
      this.table.put(this.due.workItem(work)),
      // Unconditional: the delivery's condition decides, and a link holds nothing to keep.
      { Put: { TableName: this.table.tableName, Item: eventLinkItem(delivery) } },
    ]);
  }

  getDelivery(merchantId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return this.table.getOwned<WebhookDelivery>(keys.delivery(deliveryId), merchantId, true);
  }

  listDeliveries(merchantId: string, query: DeliveryQuery): Promise<Page<WebhookDelivery>> {
    const window = listWindow(query);
    if (query.eventId !== undefined) return this.eventDeliveries(merchantId, query.eventId, query, window);
    if (query.endpointId !== undefined) {
      const statuses = query.status ? [query.status] : DELIVERY_STATUSES;
      return this.table.newestFirst('byParent', statuses.map((s) => deliveryLists.endpointStatus(merchantId, query.endpointId!, s)), window);
    }
    if (query.status) return this.table.newestFirst('byMerchantStatus', deliveryLists.merchantStatus(merchantId, query.status), window);
    return this.table.newestFirst('byMerchant', deliveryLists.merchant(merchantId), window);
  }

  /** An event's deliveries: its links (bounded: one per endpoint it went to), the deliveries by key, the other filters on those. */
  private async eventDeliveries(merchantId: string, eventId: string, query: DeliveryQuery, window: ListWindow): Promise<Page<WebhookDelivery>> {
    const links: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :merchant)',
          ExpressionAttributeValues: { ':pk': keys.event(eventId).pk, ':merchant': `DELIVERY#${merchantId}#` },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: startKey,
        }),
      );
      links.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    const ids = links.map((link) => (link['sk'] as string).slice(`DELIVERY#${merchantId}#`.length));
    const deliveries: WebhookDelivery[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const found = await this.table.getMany(ids.slice(i, i + 100).map((id) => keys.delivery(id)));
      deliveries.push(...found.map((item) => strip<WebhookDelivery>(item)));
    }
    const wanted = deliveries
      .filter((d) => d.merchantId === merchantId)
      .filter((d) => (query.endpointId === undefined || d.endpointId === query.endpointId) && (query.status === undefined || d.status === query.status))
      .sort(newestFirstBy(listSortKey));
    return pageOf(wanted, window, listSortKey);
  }

  /**
   * Deliveries written before their lists by status, endpoint and event were keyed: each gets its
   * event's link (a delivery saved by this code before the upgrade ran has its keys but no link),
   * and one without its keys gets them, at the version it was read (one changed since was saved
   * with them). It scans the table, so it runs where the store may scan: the local gateway at
   * every start, an operator once in AWS (bin/adopt-legacy-deliveries.ts); once it has run through,
   * a marker makes it a single read. Answers how many deliveries got their keys.
   */
  adoptLegacyDeliveries(): Promise<number> {
    return this.table.migrateOnce(LEGACY_DELIVERIES_MIGRATION, { FilterExpression: 'entity = :delivery', ExpressionAttributeValues: { ':delivery': 'webhook_delivery' } }, async (item) => {
      const delivery = strip<WebhookDelivery>(item);
      await this.table.doc.send(new PutCommand({ TableName: this.table.tableName, Item: eventLinkItem(delivery) }));
      if (item['gsi3pk'] !== undefined) return false;
      return this.table.setAtVersion(keys.delivery(delivery.id), deliveryListKeys(delivery), delivery.version, 'gsi3pk');
    });
  }

  async saveDelivery(next: WebhookDelivery, work: DueWork | null, idempotency?: IdempotencyPart): Promise<void> {
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.table.tableName,
          Item: this.deliveryItem(next),
          ConditionExpression: '#version = :previous',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':previous': next.version - 1 },
        },
      },
    ];
    if (work) items.push(this.table.put(this.due.workItem(work)));
    try {
      await this.table.transact(items, idempotency);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      throw error;
    }
  }
}
