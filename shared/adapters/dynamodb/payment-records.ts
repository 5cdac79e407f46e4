import { createHash } from 'node:crypto';
import type { PaymentIntent } from '../../domain/intents.ts';
import type { Payment, PaymentStatus, Transaction } from '../../domain/payment.ts';
import { PaymentChangedError, RecordChangedError, type Page, type PaymentCommit, type PaymentQuery, type PaymentStore, type TransactionQuery } from '../../ports.ts';
import { dueAttributes } from './due-records.ts';
import type { EventRecords } from './event-records.ts';
import type { FraudRecords } from './fraud-records.ts';
import { intentListKeys, type IntentRecords } from './intent-records.ts';
import { cancellationReasons, keys, listSortKey, listWindow, newestFirstBy, pageOf, strip, type Item, type ListWindow, type TableAccess, type TransactItem } from './table-access.ts';

/**
 * Where a payment is listed (API.md, "Lists": every filter a key condition), each list sorted by
 * `<created>#<id>` (a `created[gte]`/`created[lt]` range is a range of that key):
 *
 * - none: gsi1 `MERCHANT#<m>#PAYMENT`;
 * - `status`: gsi2 `MERCHANT#<m>#PAYMENT#<status>` (a change of status moves the entry);
 * - `customer_email`: gsi3 `MERCHANT#<m>#PAYMENT#EMAIL#<sha256 of the address, lower case>`
 *   (sparse: payments with an email only; the address itself is not a key);
 * - `payment_intent`: the intent's own list of the payments it made (`paymentIds`, at most its
 *   `max_attempts`), read by key: the other filters are applied to that bounded set.
 *
 * `status` and `customer_email` together have no key (refused by the API).
 */
const paymentLists = {
  merchant: (merchantId: string) => `MERCHANT#${merchantId}#PAYMENT`,
  merchantStatus: (merchantId: string, status: PaymentStatus) => `MERCHANT#${merchantId}#PAYMENT#${status}`,
  customerEmail: (merchantId: string, email: string) => `MERCHANT#${merchantId}#PAYMENT#EMAIL#${createHash('sha256').update(email.toLowerCase()).digest('hex')}`,
};

/** The one upgrade that lists payments and intents stored before their lists (`adoptLegacyPaymentLists`). */
const LEGACY_PAYMENT_LISTS_MIGRATION = 'payment-lists';

/** The keys that list a payment under its merchant, its status and its customer's email. */
export function paymentListKeys(payment: Payment): Item {
  const sortKey = listSortKey(payment);
  const email = payment.customer?.email;
  return {
    gsi1pk: paymentLists.merchant(payment.merchantId),
    gsi1sk: sortKey,
    gsi2pk: paymentLists.merchantStatus(payment.merchantId, payment.status),
    gsi2sk: sortKey,
    ...(email ? { gsi3pk: paymentLists.customerEmail(payment.merchantId, email), gsi3sk: sortKey } : {}),
  };
}

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
    const window = listWindow(query);
    return query.status
      ? this.table.newestFirst('byMerchantStatus', `MERCHANT#${merchantId}#TXN#${query.status}`, window)
      : this.table.newestFirst('byMerchant', `MERCHANT#${merchantId}#TXN`, window);
  }

  async listPayments(merchantId: string, query: PaymentQuery): Promise<Page<Payment>> {
    const window = listWindow(query);
    if (query.paymentIntentId !== undefined) return this.intentPayments(merchantId, query, window);
    if (query.customerEmail !== undefined) return this.table.newestFirst('byParent', paymentLists.customerEmail(merchantId, query.customerEmail), window);
    if (query.status !== undefined) return this.table.newestFirst('byMerchantStatus', paymentLists.merchantStatus(merchantId, query.status), window);
    return this.table.newestFirst('byMerchant', paymentLists.merchant(merchantId), window);
  }

  /** An intent's payments: its own bounded list of ids, read by key, the other filters applied to them. */
  private async intentPayments(merchantId: string, query: PaymentQuery, window: ListWindow): Promise<Page<Payment>> {
    const intent = await this.intents.getIntent(merchantId, query.paymentIntentId!);
    if (!intent) return { items: [], hasMore: false };
    const ids = intent.paymentIds ?? (intent.paymentId ? [intent.paymentId] : []);
    const email = query.customerEmail?.toLowerCase();
    const payments = (await this.table.getMany(ids.map((id) => keys.payment(id))))
      .map((item) => strip<Payment>(item))
      .filter(
        (p) =>
          p.merchantId === merchantId &&
          (query.status === undefined || p.status === query.status) &&
          (email === undefined || p.customer?.email?.toLowerCase() === email),
      )
      .sort(newestFirstBy(listSortKey));
    return pageOf(payments, window, listSortKey);
  }

  /**
   * Payments and intents written before they were listed get their list keys, at the version they
   * were read (one changed since was saved with them). It scans the table, so it runs where the
   * store may scan: the local gateway at every start, an operator once in AWS
   * (bin/adopt-legacy-lists.ts); once it has run through, a marker makes it a single read. Answers
   * how many got their keys. An intent's payments list (`paymentIds`) is not rebuilt: an old
   * intent lists its successful payment only.
   */
  adoptLegacyPaymentLists(): Promise<number> {
    return this.table.migrateOnce(
      LEGACY_PAYMENT_LISTS_MIGRATION,
      {
        FilterExpression: '(entity = :payment OR entity = :intent) AND attribute_not_exists(gsi1pk)',
        ExpressionAttributeValues: { ':payment': 'payment', ':intent': 'payment_intent' },
      },
      (item) => {
        const listKeys = item['entity'] === 'payment' ? paymentListKeys(strip<Payment>(item)) : intentListKeys(strip<PaymentIntent>(item));
        return this.table.setAtVersion({ pk: item['pk'], sk: item['sk'] }, listKeys, item['version'], 'gsi1pk');
      },
    );
  }

  async commitPayment(commit: PaymentCommit): Promise<void> {
    const { payment, precondition, transaction } = commit;
    const items: TransactItem[] = [];

    // An authorization is due for expiry until a change (capture, void, expiry) puts the payment without it.
    const paymentItem: Item = {
      ...keys.payment(payment.id),
      entity: 'payment',
      ...paymentListKeys(payment),
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
