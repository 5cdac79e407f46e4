import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DueWork } from '../../domain/events.ts';
import type { WebhookDelivery, WebhookEndpoint } from '../../domain/webhooks.ts';
import { RecordChangedError, type DeliveryQuery, type IdempotencyPart, type Page, type WebhookStore } from '../../ports.ts';
import type { DueWorkRecords } from './due-records.ts';
import { cancellationReasons, keys, type Item, type TableAccess, type TransactItem } from './table-access.ts';

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
    return {
      ...keys.delivery(delivery.id),
      entity: 'webhook_delivery',
      gsi1pk: `MERCHANT#${delivery.merchantId}#DELIVERY`,
      gsi1sk: `${delivery.createdAt}#${delivery.id}`,
      ...delivery,
    };
  }

  async createDelivery(delivery: WebhookDelivery, work: DueWork): Promise<boolean> {
    return this.table.transactUnlessFirstRefused([this.table.put(this.deliveryItem(delivery)), this.table.put(this.due.workItem(work))]);
  }

  getDelivery(merchantId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return this.table.getOwned<WebhookDelivery>(keys.delivery(deliveryId), merchantId, true);
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
    return this.table.newestFirst('byMerchant', `MERCHANT#${merchantId}#DELIVERY`, query, filter);
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
