import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { DueWork } from '../../domain/events.ts';
import type { DueWorkStore } from '../../ports.ts';
import { TABLE } from './table.ts';
import { keys, type Item, type TableAccess } from './table-access.ts';

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

/** Due work (the outbox's schedule): what is due, leased to a worker, completed. */
export class DueWorkRecords implements DueWorkStore {
  private readonly table: TableAccess;

  constructor(table: TableAccess) {
    this.table = table;
  }

  /** The item of a work of its own (a delivery's next attempt), due at its `runAt`. */
  workItem(work: DueWork): Item {
    return { ...keys.work(work.id), entity: 'work', ...dueAttributes(work.id, work.runAt), ...work };
  }

  /** Writes a work item due at its `runAt`; an event's or a payment's own due record is in the index already. */
  async scheduleWork(work: DueWork): Promise<void> {
    if (isOwnRecord(work)) return;
    await this.table.doc.send(new PutCommand({ TableName: this.table.tableName, Item: this.workItem(work) }));
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
        const page = await this.table.doc.send(
          new QueryCommand({
            TableName: this.table.tableName,
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
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.tableName,
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
      await this.table.doc.send(new DeleteCommand({ TableName: this.table.tableName, Key: key }));
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
      await this.table.doc.send(new UpdateCommand({ TableName: this.table.tableName, ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionConflictException) return false;
      throw error;
    }
  }
}
