import { TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { IdempotencyLockLostError, type IdempotencyLock, type IdempotencyPart, type Page, type StoredAnswer } from '../../ports.ts';
import { TABLE } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type Item = Record<string, unknown>;

/** Primary keys of every item kind (the table's design is documented in table.ts). */
export const keys = {
  merchant: (id: string) => ({ pk: `MERCHANT#${id}`, sk: 'MERCHANT' }),
  merchantKey: (merchantId: string, keyId: string) => ({ pk: `MERCHANT#${merchantId}`, sk: `APIKEY#${keyId}` }),
  apiKey: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  payment: (id: string) => ({ pk: `PAYMENT#${id}`, sk: 'PAYMENT' }),
  transaction: (id: string) => ({ pk: `TXN#${id}`, sk: 'TXN' }),
  token: (token: string) => ({ pk: `TOKEN#${token}`, sk: 'TOKEN' }),
  idempotency: (recordId: string) => ({ pk: `IDEMPOTENCY#${recordId}`, sk: 'IDEMPOTENCY' }),
  event: (id: string) => ({ pk: `EVENT#${id}`, sk: 'EVENT' }),
  intent: (id: string) => ({ pk: `INTENT#${id}`, sk: 'INTENT' }),
  webhookEndpoint: (id: string) => ({ pk: `WEBHOOK_ENDPOINT#${id}`, sk: 'WEBHOOK_ENDPOINT' }),
  delivery: (id: string) => ({ pk: `DELIVERY#${id}`, sk: 'DELIVERY' }),
  work: (id: string) => ({ pk: `WORK#${id}`, sk: 'WORK' }),
  /** Never written: `/health` reads it to know the table answers (its function may read only this key). */
  health: () => ({ pk: 'HEALTH', sk: 'HEALTH' }),
};

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'duepk', 'duesk', 'dueLease', 'entity', 'ttl'];

/** The domain record of an item: the item less its keys. */
export function strip<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}

/**
 * An idempotency answer as kept: its body deflated (a payment's view is most of the record, and
 * deflated the record stays under the 1 KB one write unit covers). It reads back byte-identical.
 */
export function storedAnswerItem(answer: StoredAnswer): Item {
  return { statusCode: answer.statusCode, bodyZ: deflateRawSync(answer.body) };
}

/** The answer as sent (records written before answers were deflated hold `body` as it was). */
export function storedAnswerOf(item: Item): StoredAnswer {
  const body = item['bodyZ'] instanceof Uint8Array ? inflateRawSync(item['bodyZ']).toString('utf8') : (item['body'] as string);
  return { statusCode: item['statusCode'] as number, body };
}

/** Why DynamoDB canceled a transaction, item by item (empty for any other error). */
export function cancellationReasons(error: unknown): { Code?: string | undefined }[] {
  return error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
}

/** Transactions conflicting with another transaction on the same item are retried this many times. */
const TRANSACTION_CONFLICT_RETRIES = 5;

/**
 * What every part of the store uses (each part holds one; no part inherits another): the document
 * client, the table, owned reads, transactions and list queries.
 */
export class TableAccess {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = tableName;
  }

  /**
   * Reads one item by key as the merchant's record: another merchant's item reads as missing.
   * `merchantId` null only where a secret, not an API key, proves access (public intent routes).
   */
  async getOwned<T>(key: { pk: string; sk: string }, merchantId: string | null, consistent = false): Promise<T | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }));
    if (!Item || (merchantId !== null && Item['merchantId'] !== merchantId)) return null;
    return strip<T>(Item);
  }

  async ping(): Promise<void> {
    await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.health() }));
  }

  put(item: Item, condition = 'attribute_not_exists(pk)'): TransactItem {
    return { Put: { TableName: this.tableName, Item: item, ConditionExpression: condition } };
  }

  /**
   * One commit. Its ClientRequestToken makes the SDK's own retries of it idempotent: if a commit
   * succeeded and only its answer was lost, the retry succeeds without writing again (instead of
   * failing its condition and letting the command decide, say, a second refund). A retry after a
   * conflict is a new attempt, with a new token.
   *
   * With an idempotency part, the request's answer is remembered in the same transaction, as its
   * last item: IdempotencyLockLostError when the request no longer holds its key.
   *
   * A conflict with another transaction is tried again here only with `retryConflicts` (the
   * default): a change decided on what it read (a capture, a refund) passes false, because its
   * command reads and decides again anyway: one retry layer, not one inside another.
   */
  async transact(items: TransactItem[], idempotency?: IdempotencyPart, options: { retryConflicts?: boolean } = {}): Promise<void> {
    const retries = options.retryConflicts === false ? 0 : TRANSACTION_CONFLICT_RETRIES;
    const all = idempotency ? [...items, this.completeIdempotencyItem(idempotency.lock, idempotency.answer)] : items;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: all, ClientRequestToken: randomUUID() }));
        idempotency?.markCommitted();
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (idempotency && reasons[items.length]?.Code === 'ConditionalCheckFailed') throw new IdempotencyLockLostError();
        const conflictOnly =
          reasons.some((r) => r.Code === 'TransactionConflict') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed');
        if (!conflictOnly || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
      }
    }
  }

  /** A commit whose first item's condition may refuse it (the item exists, or is not the caller's): false then. */
  async transactUnlessFirstRefused(items: TransactItem[], idempotency?: IdempotencyPart): Promise<boolean> {
    try {
      await this.transact(items, idempotency);
      return true;
    } catch (error) {
      if (cancellationReasons(error)[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /** Completes the claim of the request holding `lock`: only its owner can, and only once. */
  completeIdempotencyItem(lock: IdempotencyLock, answer: StoredAnswer): Required<Pick<TransactItem, 'Update'>> {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.idempotency(lock.recordId),
        UpdateExpression: 'SET #status = :completed, answer = :answer, #ttl = :ttl REMOVE lockExpiresAtEpochSeconds',
        ConditionExpression: 'ownerToken = :owner AND #status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TABLE.ttlAttribute },
        ExpressionAttributeValues: {
          ':completed': 'COMPLETED',
          ':answer': storedAnswerItem(answer),
          ':ttl': lock.expiresAtEpochSeconds,
          ':owner': lock.ownerToken,
          ':inProgress': 'IN_PROGRESS',
        },
      },
    };
  }

  /**
   * A merchant-wide list, newest first, with offset paging. DynamoDB has no offset: this reads
   * offset + limit + 1 matching items and keeps the window (so offsets are bounded by the API).
   */
  async newestFirst<T>(
    index: 'byMerchant' | 'byMerchantStatus',
    partition: string,
    page: { limit: number; offset: number },
    filter?: { expression: string; names: Record<string, string>; values: Item },
    record: (item: Item) => T = strip<T>,
  ): Promise<Page<T>> {
    const spec = TABLE.indexes[index];
    const wanted = page.offset + page.limit + 1;
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: spec.name,
          KeyConditionExpression: '#pk = :pk',
          FilterExpression: filter?.expression,
          ExpressionAttributeNames: { '#pk': spec.partitionKey, ...(filter?.names ?? {}) },
          ExpressionAttributeValues: { ':pk': partition, ...(filter?.values ?? {}) },
          ScanIndexForward: false,
          Limit: filter ? 200 : Math.min(wanted - items.length, 1000),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < wanted);
    const window = items.slice(page.offset, page.offset + page.limit);
    return { items: window.map(record), hasMore: items.length > page.offset + page.limit };
  }
}
