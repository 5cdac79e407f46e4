import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { IdempotencyLockLostError, type IdempotencyLock, type IdempotencyPart, type ListPosition, type ListQuery, type Page, type StoredAnswer } from '../../ports.ts';
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
  /** A delivery listed in its event's item collection (keys only: what lists an event's deliveries). */
  eventDelivery: (eventId: string, merchantId: string, deliveryId: string) => ({ pk: `EVENT#${eventId}`, sk: `DELIVERY#${merchantId}#${deliveryId}` }),
  /** Written once an upgrade of the stored items is done, so later starts skip it. */
  migration: (name: string) => ({ pk: `MIGRATION#${name}`, sk: 'MIGRATION' }),
  work: (id: string) => ({ pk: `WORK#${id}`, sk: 'WORK' }),
  blockListEntry: (id: string) => ({ pk: `BLOCK#${id}`, sk: 'BLOCK' }),
  /** Never written: `/health` reads it to know the table answers (its function may read only this key). */
  health: () => ({ pk: 'HEALTH', sk: 'HEALTH' }),
};

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'duepk', 'duesk', 'dueLease', 'entity', 'ttl'];

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

/**
 * Which page of a list: `limit` items after skipping `offset`, newest first; with `after`, only
 * items older than that sort key (the page after it), with `before`, the newest `limit` of those
 * newer than it (the page before it); `from` (inclusive) and `to` (exclusive) bound what is
 * listed at all. Sort keys are `<created>#<id>` in every list index, so one position means the
 * same place whichever index serves the list, and a bare timestamp bounds by creation time
 * (`<t>#...` sorts at or after `<t>`).
 */
export interface ListWindow {
  limit: number;
  offset: number;
  after?: string | undefined;
  before?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Where a listed object sorts: its sort key in every list index. */
export const listSortKey = (position: ListPosition): string => `${position.createdAt}#${position.id}`;

/** The window a list query asks for, in sort keys. */
export function listWindow(query: ListQuery): ListWindow {
  return {
    limit: query.limit,
    offset: query.offset,
    after: query.startingAfter && listSortKey(query.startingAfter),
    before: query.endingBefore && listSortKey(query.endingBefore),
    from: query.createdGte,
    to: query.createdLt,
  };
}

/** Newest first by sort key. */
export function newestFirstBy<T>(sortKey: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0);
}

/**
 * The page `window` asks for, out of `items` sorted newest first by `sortKey`: cut to its range
 * and at its cursor, then `offset` skipped; has more when items remain past the page (older ones;
 * newer ones before a cursor of `before`).
 */
export function pageOf<T>(items: readonly T[], window: ListWindow, sortKey: (item: T) => string): Page<T> {
  const { after, before, from, to, offset, limit } = window;
  let candidates = items.filter((item) => (from === undefined || sortKey(item) >= from) && (to === undefined || sortKey(item) < to));
  if (after !== undefined) candidates = candidates.filter((item) => sortKey(item) < after);
  // Before a cursor the page is the items nearest it: counted from the cursor up, shown newest first.
  if (before !== undefined) candidates = candidates.filter((item) => sortKey(item) > before).reverse();
  const page = candidates.slice(offset, offset + limit);
  return { items: before !== undefined ? page.reverse() : page, hasMore: candidates.length > offset + limit };
}

/**
 * The key condition on the sort key a window needs: the tightest bound above (older than a cursor
 * of `after`, before `to`) and below (newer than a cursor of `before`, from `from`). A query
 * takes one condition, so with both a BETWEEN, inclusive: the cursor's own item it takes in is cut
 * by pageOf (one item at each end at most).
 */
function sortKeyCondition(window: ListWindow): { expression: string; values: Item } | 'empty' | null {
  const upper = [window.after, window.to].filter((v) => v !== undefined).sort()[0];
  const lower = [window.before, window.from].filter((v) => v !== undefined).sort().at(-1);
  // A range that ends before it starts (`created[lt]` before `created[gte]`, a cursor outside the
  // range) holds nothing; DynamoDB refuses a BETWEEN whose bounds are the wrong way round.
  if (upper !== undefined && lower !== undefined && lower > upper) return 'empty';
  if (upper !== undefined && lower !== undefined) return { expression: ' AND #sk BETWEEN :lower AND :upper', values: { ':lower': lower, ':upper': upper } };
  if (upper !== undefined) return { expression: ' AND #sk < :upper', values: { ':upper': upper } };
  if (lower !== undefined) return { expression: lower === window.from ? ' AND #sk >= :lower' : ' AND #sk > :lower', values: { ':lower': lower } };
  return null;
}

/** A batch read asks again for what DynamoDB left unprocessed (throttling) this many times in all, then gives up (503). */
const UNPROCESSED_ATTEMPTS = 6;

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

  /** Items by key in one request (100 at most), in no particular order; missing ones are left out. */
  async getMany(wanted: readonly { pk: string; sk: string }[]): Promise<Item[]> {
    const found: Item[] = [];
    let unread: Item[] | undefined = [...wanted];
    for (let attempt = 0; unread?.length; attempt++) {
      if (attempt >= UNPROCESSED_ATTEMPTS) throw Object.assign(new Error('DynamoDB kept leaving keys unprocessed'), { name: 'ThrottlingException' });
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: unread } } }));
      found.push(...(out.Responses?.[this.tableName] ?? []));
      unread = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return found;
  }

  /**
   * A list, newest first, read by key condition alone (there is no filter to read and discard):
   * one index partition, or several merged (a list across the statuses that key its partitions).
   * Each partition reads at most offset + limit + 1 items past the cursor; DynamoDB has no offset,
   * so offsets are bounded by the API.
   */
  async newestFirst<T>(
    index: Exclude<keyof typeof TABLE.indexes, 'due'>,
    partitions: string | readonly string[],
    window: ListWindow,
    record: (item: Item) => T = strip<T>,
  ): Promise<Page<T>> {
    const spec = TABLE.indexes[index];
    const sortKey = (item: Item) => item[spec.sortKey] as string;
    const condition = sortKeyCondition(window);
    if (condition === 'empty') return { items: [], hasMore: false };
    const cursor = condition;
    // One more than the page says whether there are more; a BETWEEN may take in the cursor's own item too.
    const wanted = window.offset + window.limit + 1 + (cursor?.expression.includes('BETWEEN') ? 1 : 0);
    const read = await Promise.all(
      (typeof partitions === 'string' ? [partitions] : partitions).map(async (partition) => {
        const items: Item[] = [];
        let startKey: Item | undefined;
        do {
          const out = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: spec.name,
              KeyConditionExpression: `#pk = :pk${cursor?.expression ?? ''}`,
              ExpressionAttributeNames: { '#pk': spec.partitionKey, ...(cursor ? { '#sk': spec.sortKey } : {}) },
              ExpressionAttributeValues: { ':pk': partition, ...cursor?.values },
              // Before a cursor, the items nearest it are the oldest of the newer ones.
              ScanIndexForward: window.before !== undefined,
              Limit: Math.min(wanted - items.length, 1000),
              ExclusiveStartKey: startKey,
            }),
          );
          items.push(...(out.Items ?? []));
          startKey = out.LastEvaluatedKey;
        } while (startKey && items.length < wanted);
        return items;
      }),
    );
    const merged = read.flat().sort(newestFirstBy(sortKey));
    const page = pageOf(merged, window, sortKey);
    return { items: page.items.map(record), hasMore: page.hasMore };
  }

  /**
   * An upgrade of stored items, run once: every item the scan's `filter` finds is given to
   * `upgrade` (which answers whether it changed it), then a marker item (`MIGRATION#<name>`) makes
   * every later run a single read; an interrupted run starts again. It scans the table, so only
   * where the store may scan (the local gateway, an operator's script; no function). Answers how
   * many items `upgrade` changed.
   */
  async migrateOnce(name: string, filter: { FilterExpression: string; ExpressionAttributeValues: Item }, upgrade: (item: Item) => Promise<boolean>): Promise<number> {
    const marker = keys.migration(name);
    const { Item: done } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: marker, ConsistentRead: true }));
    if (done) return 0;
    let changed = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({ TableName: this.tableName, ...filter, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) if (await upgrade(item)) changed++;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...marker, entity: 'migration' } }));
    return changed;
  }

  /**
   * Sets `attributes` on the item at `key` if it is still at version `read` and has no `absent`
   * attribute yet; false when it changed meanwhile (a change saved it with them already).
   */
  async setAtVersion(key: { pk: unknown; sk: unknown }, attributes: Item, read: unknown, absent: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${Object.keys(attributes).map((name) => `${name} = :${name}`).join(', ')}`,
          ConditionExpression: `#version = :read AND attribute_not_exists(${absent})`,
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ...Object.fromEntries(Object.entries(attributes).map(([name, value]) => [`:${name}`, value])), ':read': read },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
