import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Store } from '../../ports.ts';
import { DueWorkRecords } from './due-records.ts';
import { EventRecords } from './event-records.ts';
import { FraudRecords } from './fraud-records.ts';
import { IdempotencyRecords } from './idempotency-records.ts';
import { IntentRecords } from './intent-records.ts';
import { MerchantRecords } from './merchant-records.ts';
import { PaymentRecords } from './payment-records.ts';
import { TableAccess } from './table-access.ts';
import { WebhookRecords } from './webhook-records.ts';

const THIRTY_DAYS_SECONDS = 30 * 86_400;

/**
 * The store, composed of one part per aggregate (merchants, payments, fraud counters, idempotency,
 * intents, events, webhooks, due work), each small and holding the one table access; no part inherits
 * another. A part that writes another aggregate's item in its own commit (a payment its events
 * and intent) asks that part for the item. This facade is only the `Store` port the commands see.
 */
export class DynamoDbStore implements Store {
  readonly merchants: MerchantRecords;
  readonly payments: PaymentRecords;
  readonly fraud: FraudRecords;
  readonly idempotency: IdempotencyRecords;
  readonly intents: IntentRecords;
  readonly events: EventRecords;
  readonly webhooks: WebhookRecords;
  readonly due: DueWorkRecords;
  private readonly table: TableAccess;

  constructor(client: DynamoDBClient, tableName: string, options: { eventRetentionSeconds?: number } = {}) {
    this.table = new TableAccess(client, tableName);
    this.events = new EventRecords(this.table, options.eventRetentionSeconds ?? THIRTY_DAYS_SECONDS);
    this.due = new DueWorkRecords(this.table);
    this.merchants = new MerchantRecords(this.table);
    this.intents = new IntentRecords(this.table, this.events);
    this.fraud = new FraudRecords(this.table);
    this.payments = new PaymentRecords(this.table, this.events, this.intents, this.fraud);
    this.idempotency = new IdempotencyRecords(this.table);
    this.webhooks = new WebhookRecords(this.table, this.due);
  }

  ping: Store['ping'] = () => this.table.ping();

  createMerchant: Store['createMerchant'] = (...a) => this.merchants.createMerchant(...a);
  getMerchant: Store['getMerchant'] = (...a) => this.merchants.getMerchant(...a);
  addApiKey: Store['addApiKey'] = (...a) => this.merchants.addApiKey(...a);
  revokeApiKey: Store['revokeApiKey'] = (...a) => this.merchants.revokeApiKey(...a);
  findApiKey: Store['findApiKey'] = (...a) => this.merchants.findApiKey(...a);

  getPayment: Store['getPayment'] = (...a) => this.payments.getPayment(...a);
  getTransaction: Store['getTransaction'] = (...a) => this.payments.getTransaction(...a);
  listTransactions: Store['listTransactions'] = (...a) => this.payments.listTransactions(...a);
  listPayments: Store['listPayments'] = (...a) => this.payments.listPayments(...a);
  commitPayment: Store['commitPayment'] = (...a) => this.payments.commitPayment(...a);

  readFraudSignals: Store['readFraudSignals'] = (...a) => this.fraud.readFraudSignals(...a);
  getFraudThresholds: Store['getFraudThresholds'] = (...a) => this.fraud.getFraudThresholds(...a);
  saveFraudThresholds: Store['saveFraudThresholds'] = (...a) => this.fraud.saveFraudThresholds(...a);
  addBlockListEntry: Store['addBlockListEntry'] = (...a) => this.fraud.addBlockListEntry(...a);
  getBlockListEntry: Store['getBlockListEntry'] = (...a) => this.fraud.getBlockListEntry(...a);
  listBlockList: Store['listBlockList'] = (...a) => this.fraud.listBlockList(...a);
  removeBlockListEntry: Store['removeBlockListEntry'] = (...a) => this.fraud.removeBlockListEntry(...a);

  beginIdempotent: Store['beginIdempotent'] = (...a) => this.idempotency.beginIdempotent(...a);
  completeIdempotent: Store['completeIdempotent'] = (...a) => this.idempotency.completeIdempotent(...a);
  releaseIdempotent: Store['releaseIdempotent'] = (...a) => this.idempotency.releaseIdempotent(...a);

  createIntent: Store['createIntent'] = (...a) => this.intents.createIntent(...a);
  getIntent: Store['getIntent'] = (...a) => this.intents.getIntent(...a);
  listIntents: Store['listIntents'] = (...a) => this.intents.listIntents(...a);
  updateIntent: Store['updateIntent'] = (...a) => this.intents.updateIntent(...a);

  getEvent: Store['getEvent'] = (...a) => this.events.getEvent(...a);
  listEvents: Store['listEvents'] = (...a) => this.events.listEvents(...a);

  createWebhookEndpoint: Store['createWebhookEndpoint'] = (...a) => this.webhooks.createWebhookEndpoint(...a);
  getWebhookEndpoint: Store['getWebhookEndpoint'] = (...a) => this.webhooks.getWebhookEndpoint(...a);
  listWebhookEndpoints: Store['listWebhookEndpoints'] = (...a) => this.webhooks.listWebhookEndpoints(...a);
  replaceWebhookSecrets: Store['replaceWebhookSecrets'] = (...a) => this.webhooks.replaceWebhookSecrets(...a);
  deleteWebhookEndpoint: Store['deleteWebhookEndpoint'] = (...a) => this.webhooks.deleteWebhookEndpoint(...a);
  createDelivery: Store['createDelivery'] = (...a) => this.webhooks.createDelivery(...a);
  getDelivery: Store['getDelivery'] = (...a) => this.webhooks.getDelivery(...a);
  listDeliveries: Store['listDeliveries'] = (...a) => this.webhooks.listDeliveries(...a);
  saveDelivery: Store['saveDelivery'] = (...a) => this.webhooks.saveDelivery(...a);
  adoptLegacyDeliveries: Store['adoptLegacyDeliveries'] = () => this.webhooks.adoptLegacyDeliveries();
  adoptLegacyPaymentLists: Store['adoptLegacyPaymentLists'] = () => this.payments.adoptLegacyPaymentLists();

  scheduleWork: Store['scheduleWork'] = (...a) => this.due.scheduleWork(...a);
  claimDueWork: Store['claimDueWork'] = (...a) => this.due.claimDueWork(...a);
  completeWork: Store['completeWork'] = (...a) => this.due.completeWork(...a);
  adoptLegacyWork: Store['adoptLegacyWork'] = () => this.due.adoptLegacyWork();
}
