import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { PaygateEvent } from '../../domain/events.ts';
import type { PaymentIntent } from '../../domain/intents.ts';
import type { Payment, Transaction } from '../../domain/payment.ts';
import {
  PaymentChangedError,
  RecordChangedError,
  type ApiKeyRecord,
  type IdempotencyBegin,
  type IdempotencyClaim,
  IdempotencyLockLostError,
  type IdempotencyLock,
  type IdempotencyPart,
  type IntentChange,
  type KeyLookup,
  type Merchant,
  type Page,
  type PaymentCommit,
  type RateWindow,
  type Store,
  type StoredAnswer,
  type TransactionQuery,
} from '../../ports.ts';
import { dueAttributes, OutboxStore } from './outbox-store.ts';
import { countedIn, windowItemKey } from './rate-limiter.ts';
import { TABLE } from './table.ts';
import { cancellationReasons, keys, storedAnswerOf, strip, type Item, type TransactItem } from './table-access.ts';

const THIRTY_DAYS_SECONDS = 30 * 86_400;
/** A batch read asks again for what DynamoDB left unprocessed (throttling) this many times in all, then gives up (503). */
const UNPROCESSED_ATTEMPTS = 6;

/** The store: payments, merchants and idempotency here; events, webhooks and due work in OutboxStore. */
export class DynamoDbStore extends OutboxStore implements Store {
  private readonly eventRetentionSeconds: number;

  constructor(client: DynamoDBClient, tableName: string, options: { eventRetentionSeconds?: number } = {}) {
    super(client, tableName);
    this.eventRetentionSeconds = options.eventRetentionSeconds ?? THIRTY_DAYS_SECONDS;
  }

  // ---------- merchants and keys ----------

  async createMerchant(merchant: Merchant, firstKey: ApiKeyRecord): Promise<void> {
    await this.transact([
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.merchant(merchant.id), entity: 'merchant', ...merchant },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...this.apiKeyPuts(firstKey),
    ]);
  }

  async getMerchant(merchantId: string): Promise<Merchant | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.merchant(merchantId) }));
    return Item ? strip<Merchant>(Item) : null;
  }

  async addApiKey(key: ApiKeyRecord): Promise<void> {
    await this.transact([
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: keys.merchant(key.merchantId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      ...this.apiKeyPuts(key),
    ]);
  }

  private apiKeyPuts(key: ApiKeyRecord): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.apiKey(key.keyHash), entity: 'api_key', ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.merchantKey(key.merchantId, key.id), entity: 'merchant_api_key', ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  async revokeApiKey(merchantId: string, keyId: string, at: string): Promise<boolean> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.merchantKey(merchantId, keyId), ConsistentRead: true }),
    );
    if (!Item) return false;
    const record = strip<ApiKeyRecord>(Item);
    if (record.revokedAt !== null) return true;
    const revoke = (Key: Item): TransactItem => ({
      Update: {
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND merchantId = :m',
        ExpressionAttributeValues: { ':at': at, ':m': merchantId },
      },
    });
    await this.transact([revoke(keys.apiKey(record.keyHash)), revoke(keys.merchantKey(merchantId, keyId))]);
    return true;
  }

  async findApiKey(keyHash: string, caller?: { failures: RateWindow; nowMs: number }): Promise<KeyLookup> {
    const keyItem = keys.apiKey(keyHash);
    if (!caller) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keyItem }));
      return { record: Item ? strip<ApiKeyRecord>(Item) : null, callerFailures: 0 };
    }
    // One read request for both: the key, and how often its caller failed lately.
    const counter = windowItemKey(caller.failures, caller.nowMs);
    const found: Item[] = [];
    let wanted: Item[] | undefined = [keyItem, counter];
    for (let attempt = 0; wanted?.length; attempt++) {
      if (attempt >= UNPROCESSED_ATTEMPTS) throw Object.assign(new Error('DynamoDB kept leaving keys unprocessed'), { name: 'ThrottlingException' });
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: wanted } } }));
      found.push(...(out.Responses?.[this.tableName] ?? []));
      wanted = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    const record = found.find((item) => item['pk'] === keyItem.pk);
    return { record: record ? strip<ApiKeyRecord>(record) : null, callerFailures: countedIn(found.find((item) => item['pk'] === counter.pk)) };
  }

  // ---------- payments and transactions ----------

  getPayment(merchantId: string, paymentId: string): Promise<Payment | null> {
    return this.getOwned<Payment>(keys.payment(paymentId), merchantId, true);
  }

  getTransaction(merchantId: string, transactionId: string): Promise<Transaction | null> {
    return this.getOwned<Transaction>(keys.transaction(transactionId), merchantId);
  }

  listTransactions(merchantId: string, query: TransactionQuery): Promise<Page<Transaction>> {
    return query.status
      ? this.newestFirst('byMerchantStatus', `MERCHANT#${merchantId}#TXN#${query.status}`, query)
      : this.newestFirst('byMerchant', `MERCHANT#${merchantId}#TXN`, query);
  }

  async commitPayment(commit: PaymentCommit): Promise<void> {
    const { payment, precondition, transaction } = commit;
    const items: TransactItem[] = [];

    // An authorization is due for expiry until a change (capture, void, expiry) puts the payment without it.
    const paymentItem: Item = {
      ...keys.payment(payment.id),
      entity: 'payment',
      ...(payment.status === 'authorized' && payment.expiresAt !== null ? dueAttributes(payment.id, payment.expiresAt) : {}),
      ...payment,
    };
    if (precondition === null) {
      items.push({ Put: { TableName: this.tableName, Item: paymentItem, ConditionExpression: 'attribute_not_exists(pk)' } });
    } else {
      const statusPlaceholders = precondition.statusIn.map((_, i) => `:s${i}`);
      const values: Item = { ':v': precondition.expectedVersion, ':m': payment.merchantId };
      precondition.statusIn.forEach((status, i) => (values[`:s${i}`] = status));
      let condition = `#version = :v AND merchantId = :m AND #status IN (${statusPlaceholders.join(', ')})`;
      if (precondition.amountRefundedAtMost !== undefined) {
        condition += ' AND amountRefunded <= :refundedAtMost';
        values[':refundedAtMost'] = precondition.amountRefundedAtMost;
      }
      items.push({
        Put: {
          TableName: this.tableName,
          Item: paymentItem,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
          ExpressionAttributeValues: values,
        },
      });
    }

    items.push({
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.transaction(transaction.id),
          entity: 'transaction',
          gsi1pk: `MERCHANT#${transaction.merchantId}#TXN`,
          gsi1sk: `${transaction.createdAt}#${transaction.id}`,
          gsi2pk: `MERCHANT#${transaction.merchantId}#TXN#${transaction.status}`,
          gsi2sk: `${transaction.createdAt}#${transaction.id}`,
          ...transaction,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });

    for (const event of commit.events) items.push(this.eventItem(event, this.eventRetentionSeconds));
    const intentIndex = commit.intent ? items.length : -1;
    if (commit.intent) items.push(this.intentCommitItem(commit.intent));

    try {
      await this.transact(items, commit.idempotency);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons.length === 0) throw error;
      if (intentIndex >= 0 && reasons[intentIndex]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      if (reasons[0]?.Code === 'ConditionalCheckFailed' || reasons.some((r) => r.Code === 'TransactionConflict')) {
        throw new PaymentChangedError();
      }
      throw error;
    }
  }

  // ---------- payment intents ----------

  protected intentCommitItem(change: IntentChange): TransactItem {
    const { next, expectedVersion } = change;
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...keys.intent(next.id), entity: 'payment_intent', ...next },
        ConditionExpression: '#version = :v AND merchantId = :m',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':v': expectedVersion, ':m': next.merchantId },
      },
    };
  }

  async createIntent(intent: PaymentIntent, event: PaygateEvent, idempotency?: IdempotencyPart): Promise<void> {
    await this.transact([this.put({ ...keys.intent(intent.id), entity: 'payment_intent', ...intent }), this.eventItem(event, this.eventRetentionSeconds)], idempotency);
  }

  getIntent(merchantId: string | null, intentId: string): Promise<PaymentIntent | null> {
    return this.getOwned<PaymentIntent>(keys.intent(intentId), merchantId, true);
  }

  async updateIntent(change: IntentChange, events: PaygateEvent[], idempotency?: IdempotencyPart): Promise<void> {
    try {
      await this.transact([this.intentCommitItem(change), ...events.map((e) => this.eventItem(e, this.eventRetentionSeconds))], idempotency);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new RecordChangedError();
      throw error;
    }
  }

  // ---------- idempotency ----------

  async beginIdempotent(claim: IdempotencyClaim): Promise<IdempotencyBegin> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
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
    const { Update } = this.completeIdempotencyItem(lock, answer);
    try {
      await this.doc.send(new UpdateCommand(Update!));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new IdempotencyLockLostError();
      throw error;
    }
  }

  async releaseIdempotent(lock: IdempotencyLock): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
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
