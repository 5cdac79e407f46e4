import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one table, designed from the access patterns:
 *
 * | item              | pk                        | sk                 | gsi1 (merchant, newest first)            | gsi2 (merchant + status)                       | gsi3 (endpoint + status)                                       |
 * |-------------------|---------------------------|--------------------|------------------------------------------|------------------------------------------------|----------------------------------------------------------------|
 * | merchant          | MERCHANT#<id>             | MERCHANT           |                                          |                                                |                                                                |
 * | key of merchant   | MERCHANT#<id>             | APIKEY#<key id>    |                                          |                                                |                                                                |
 * | key by hash       | APIKEY#<sha256>           | APIKEY             |                                          |                                                |                                                                |
 * | payment           | PAYMENT#<id>              | PAYMENT            | MERCHANT#<m>#PAYMENT, <created>#<id>     | MERCHANT#<m>#PAYMENT#<status>, ...             | MERCHANT#<m>#PAYMENT#EMAIL#<sha256 of email>, ... (if any)     |
 * | transaction       | TXN#<id>                  | TXN                | MERCHANT#<m>#TXN, <created>#<id>         | MERCHANT#<m>#TXN#<status>, <created>#<id>      |                                                                |
 * | card token        | TOKEN#<token>             | TOKEN              |                                          |                                                |                                                                |
 * | idempotency       | IDEMPOTENCY#<m>#<sha256>  | IDEMPOTENCY        |                                          |                                                |                                                                |
 * | payment intent    | INTENT#<id>               | INTENT             | MERCHANT#<m>#INTENT, <created>#<id>      |                                                |                                                                |
 * | event             | EVENT#<id>                | EVENT              | MERCHANT#<m>#EVENT, ...                  | MERCHANT#<m>#EVENT#<type>, ...                 |                                                                |
 * | webhook endpoint  | WEBHOOK_ENDPOINT#<id>     | WEBHOOK_ENDPOINT   | MERCHANT#<m>#WEBHOOK_ENDPOINT, ...       |                                                |                                                                |
 * | webhook delivery  | DELIVERY#<id>             | DELIVERY           | MERCHANT#<m>#DELIVERY, <created>#<id>    | MERCHANT#<m>#DELIVERY#<status>, <created>#<id> | MERCHANT#<m>#WEBHOOK_ENDPOINT#<e>#DELIVERY#<status>, <created>#<id> |
 * | delivery of event | EVENT#<event id>          | DELIVERY#<m>#<id>  |                                          |                                                |                                                                |
 *
 * Payments are listed by merchant, status and customer email (payment-records.ts), an intent's
 * payments from the intent's own list of them; intents by merchant.
 *
 * Ids are random, so every pk spreads evenly across partitions; merchant-wide lists live in GSIs.
 * Reads by id check the item's merchantId, so another merchant's item answers 404.
 *
 * Every list filter is a key condition, never a read-and-discard (API.md, "Lists"). Deliveries
 * are listed by merchant (gsi1), by merchant and status (gsi2), by endpoint and status (gsi3; an
 * endpoint's whole list merges its four status partitions) and by event: a keys-only link in the
 * event's own item collection, written once with the delivery (an event has at most one delivery
 * per endpoint, so its collection is small, and the other filters are applied to it). A delivery
 * needs four keyed partitions and an update of the table adds one index; the event's link is the
 * one whose key never changes, so it is never rewritten (webhook-records.ts says which key serves
 * which filter).
 *
 * The `due` index holds what the outbox must still do, under a few shard partitions (`DUE#0`..),
 * sorted by due time: an event until it is dispatched, an authorized payment until it is captured,
 * voided or expired, a webhook delivery's next attempt (a work item). The record that is due is
 * the index entry itself (no separate work item rides in a payment's commit), and it projects only
 * what a worker needs to know what to run, so each entry is a small write.
 *
 * `MIGRATION#<name>` items mark an upgrade of stored items as done (`adoptLegacyDeliveries`).
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  indexes: {
    byMerchant: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    byMerchantStatus: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    due: { name: 'due', partitionKey: 'duepk', sortKey: 'duesk' },
    /** The newest: a table made before it gets it at the gateway's start (ensureTable), a stack from `cdk deploy`. */
    /** Lists under a parent: an endpoint's deliveries by status, a customer's payments by email. */
    byParent: { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  },
  /** What the `due` index projects besides the keys: enough to know what work an entry is. */
  dueProjection: ['entity', 'id', 'kind', 'ref', 'merchantId', 'runAt', 'createdAt', 'expiresAt'],
} as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, indexes } = TABLE;
  const keyNames = [partitionKey, sortKey, ...Object.values(indexes).flatMap((i) => [i.partitionKey, i.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: Object.values(indexes).map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        index.name === TABLE.indexes.due.name
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE.dueProjection] }
          : { ProjectionType: 'ALL' },
    })),
  };
}
