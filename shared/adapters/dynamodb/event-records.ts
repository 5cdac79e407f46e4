import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { PaygateEvent } from '../../domain/events.ts';
import type { EventQuery, EventStore, Page } from '../../ports.ts';
import { dueAttributes } from './due-records.ts';
import { keys, listWindow, strip, type Item, type TableAccess, type TransactItem } from './table-access.ts';

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

/** Events: written in the commits of the changes they report (`item`), read and listed per merchant. */
export class EventRecords implements EventStore {
  private readonly table: TableAccess;
  private readonly retentionSeconds: number;

  constructor(table: TableAccess, retentionSeconds: number) {
    this.table = table;
    this.retentionSeconds = retentionSeconds;
  }

  /**
   * The event item of a commit: the outbox record itself (due for dispatch until a worker has
   * dispatched it), kept `retentionSeconds` (TTL), listed per merchant and per type.
   */
  item(event: PaygateEvent): TransactItem {
    const { objectJson, ...rest } = event;
    return this.table.put({
      ...keys.event(event.id),
      entity: 'event',
      gsi1pk: `MERCHANT#${event.merchantId}#EVENT`,
      gsi1sk: `${event.createdAt}#${event.id}`,
      gsi2pk: `MERCHANT#${event.merchantId}#EVENT#${event.type}`,
      gsi2sk: `${event.createdAt}#${event.id}`,
      ...dueAttributes(event.id, event.createdAt),
      ttl: epochSeconds(event.createdAt) + this.retentionSeconds,
      ...rest,
      objectZ: deflateRawSync(objectJson),
    });
  }

  /** Consistent: the worker reads an event the moment it is written, and must not miss it (its dispatch would be completed unsent). */
  async getEvent(merchantId: string, eventId: string): Promise<PaygateEvent | null> {
    const { Item } = await this.table.doc.send(new GetCommand({ TableName: this.table.tableName, Key: keys.event(eventId), ConsistentRead: true }));
    return Item && Item['merchantId'] === merchantId ? eventOf(Item) : null;
  }

  listEvents(merchantId: string, query: EventQuery): Promise<Page<PaygateEvent>> {
    const window = listWindow(query);
    return query.type
      ? this.table.newestFirst('byMerchantStatus', `MERCHANT#${merchantId}#EVENT#${query.type}`, window, eventOf)
      : this.table.newestFirst('byMerchant', `MERCHANT#${merchantId}#EVENT`, window, eventOf);
  }
}
