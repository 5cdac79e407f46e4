import type { PaygateEvent } from '../../domain/events.ts';
import type { PaymentIntent } from '../../domain/intents.ts';
import { RecordChangedError, type IdempotencyPart, type IntentChange, type IntentStore, type ListQuery, type Page } from '../../ports.ts';
import type { EventRecords } from './event-records.ts';
import { cancellationReasons, keys, listSortKey, listWindow, type Item, type TableAccess, type TransactItem } from './table-access.ts';

/** An intent's item: listed by merchant, newest first (gsi1 `MERCHANT#<m>#INTENT`, `<created>#<id>`). */
export function intentItem(intent: PaymentIntent): Item {
  return { ...keys.intent(intent.id), entity: 'payment_intent', ...intentListKeys(intent), ...intent };
}

export function intentListKeys(intent: PaymentIntent): Item {
  return { gsi1pk: `MERCHANT#${intent.merchantId}#INTENT`, gsi1sk: listSortKey(intent) };
}

/** Payment intents: created and changed with their events; a payment's commit may change one too (`commitItem`). */
export class IntentRecords implements IntentStore {
  private readonly table: TableAccess;
  private readonly events: EventRecords;

  constructor(table: TableAccess, events: EventRecords) {
    this.table = table;
    this.events = events;
  }

  /** An intent's next state, put only if it is still at the version it was decided on. */
  commitItem(change: IntentChange): TransactItem {
    const { next, expectedVersion } = change;
    return {
      Put: {
        TableName: this.table.tableName,
        Item: intentItem(next),
        ConditionExpression: '#version = :v AND merchantId = :m',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':v': expectedVersion, ':m': next.merchantId },
      },
    };
  }

  async createIntent(intent: PaymentIntent, event: PaygateEvent, idempotency?: IdempotencyPart): Promise<void> {
    await this.table.transact([this.table.put(intentItem(intent)), this.events.item(event)], idempotency);
  }

  getIntent(merchantId: string | null, intentId: string): Promise<PaymentIntent | null> {
    return this.table.getOwned<PaymentIntent>(keys.intent(intentId), merchantId, true);
  }

  listIntents(merchantId: string, query: ListQuery): Promise<Page<PaymentIntent>> {
    return this.table.newestFirst('byMerchant', `MERCHANT#${merchantId}#INTENT`, listWindow(query));
  }

  async updateIntent(change: IntentChange, events: PaygateEvent[], idempotency?: IdempotencyPart): Promise<void> {
    try {
      await this.table.transact([this.commitItem(change), ...events.map((e) => this.events.item(e))], idempotency);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      throw error;
    }
  }
}
