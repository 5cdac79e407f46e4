import type { Payment, Transaction } from '../../domain/payment.ts';
import { PaymentChangedError, RecordChangedError, type Page, type PaymentCommit, type PaymentStore, type TransactionQuery } from '../../ports.ts';
import { dueAttributes } from './due-records.ts';
import type { EventRecords } from './event-records.ts';
import type { FraudRecords } from './fraud-records.ts';
import type { IntentRecords } from './intent-records.ts';
import { cancellationReasons, keys, type Item, type TableAccess, type TransactItem } from './table-access.ts';

/** Payments and their transactions: every change one conditional transaction with its events (and the intent it settles, and a new payment's fraud counts). */
export class PaymentRecords implements PaymentStore {
  private readonly table: TableAccess;
  private readonly events: EventRecords;
  private readonly intents: IntentRecords;
  private readonly fraud: FraudRecords;

  constructor(table: TableAccess, events: EventRecords, intents: IntentRecords, fraud: FraudRecords) {
    this.table = table;
    this.events = events;
    this.intents = intents;
    this.fraud = fraud;
  }

  getPayment(merchantId: string, paymentId: string): Promise<Payment | null> {
    return this.table.getOwned<Payment>(keys.payment(paymentId), merchantId, true);
  }

  getTransaction(merchantId: string, transactionId: string): Promise<Transaction | null> {
    return this.table.getOwned<Transaction>(keys.transaction(transactionId), merchantId);
  }

  listTransactions(merchantId: string, query: TransactionQuery): Promise<Page<Transaction>> {
    return query.status
      ? this.table.newestFirst('byMerchantStatus', `MERCHANT#${merchantId}#TXN#${query.status}`, query)
      : this.table.newestFirst('byMerchant', `MERCHANT#${merchantId}#TXN`, query);
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
      items.push({ Put: { TableName: this.table.tableName, Item: paymentItem, ConditionExpression: 'attribute_not_exists(pk)' } });
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
          TableName: this.table.tableName,
          Item: paymentItem,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
          ExpressionAttributeValues: values,
        },
      });
    }

    items.push({
      Put: {
        TableName: this.table.tableName,
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

    for (const event of commit.events) items.push(this.events.item(event));
    const intentIndex = commit.intent ? items.length : -1;
    if (commit.intent) items.push(this.intents.commitItem(commit.intent));
    if (commit.fraudAttempt) items.push(...this.fraud.countItems(commit.fraudAttempt));

    try {
      // A change (a precondition) is decided again by its command on a conflict: no retry in here.
      await this.table.transact(items, commit.idempotency, { retryConflicts: precondition === null });
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
}
