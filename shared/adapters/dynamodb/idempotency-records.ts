import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  IdempotencyLockLostError,
  type IdempotencyBegin,
  type IdempotencyClaim,
  type IdempotencyLock,
  type IdempotencyStore,
  type StoredAnswer,
} from '../../ports.ts';
import { TABLE } from './table.ts';
import { keys, storedAnswerOf, type Item, type TableAccess } from './table-access.ts';

/** Idempotency records: the claim of a key, its answer (completed in the command's own transaction, or here), its release. */
export class IdempotencyRecords implements IdempotencyStore {
  private readonly table: TableAccess;

  constructor(table: TableAccess) {
    this.table = table;
  }

  async beginIdempotent(claim: IdempotencyClaim): Promise<IdempotencyBegin> {
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...keys.idempotency(claim.recordId),
            entity: 'idempotency',
            status: 'IN_PROGRESS',
            ownerToken: claim.ownerToken,
            requestHash: claim.requestHash,
            lockExpiresAtEpochSeconds: claim.lockExpiresAtEpochSeconds,
            ttl: claim.expiresAtEpochSeconds,
          },
          // Free, expired (TTL deletion lags), or the same request abandoned by a crashed caller.
          ConditionExpression:
            'attribute_not_exists(pk) OR #ttl < :now OR (#status = :inProgress AND lockExpiresAtEpochSeconds < :now AND requestHash = :hash)',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute, '#status': 'status' },
          ExpressionAttributeValues: { ':now': claim.nowEpochSeconds, ':inProgress': 'IN_PROGRESS', ':hash': claim.requestHash },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'acquired' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = error.Item ? unmarshall(error.Item) : undefined;
      if (!existing) return { outcome: 'in_progress' };
      if (existing['requestHash'] !== claim.requestHash) return { outcome: 'mismatch' };
      if (existing['status'] === 'COMPLETED') {
        return { outcome: 'replay', answer: storedAnswerOf(existing['answer'] as Item) };
      }
      return { outcome: 'in_progress' };
    }
  }

  async completeIdempotent(lock: IdempotencyLock, answer: StoredAnswer): Promise<void> {
    const { Update } = this.table.completeIdempotencyItem(lock, answer);
    try {
      await this.table.doc.send(new UpdateCommand(Update!));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new IdempotencyLockLostError();
      throw error;
    }
  }

  async releaseIdempotent(lock: IdempotencyLock): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: keys.idempotency(lock.recordId),
          ConditionExpression: 'ownerToken = :owner AND #status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':owner': lock.ownerToken, ':inProgress': 'IN_PROGRESS' },
        }),
      );
    } catch (error) {
      // Only the owner releases; a lock already taken over or completed is not ours to delete.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
