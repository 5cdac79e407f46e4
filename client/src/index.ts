/**
 * The Paygate client:
 *
 *   const paygate = new Paygate('sk_test_...', { baseUrl: 'https://pay.example.com' });
 *   const payment = await paygate.payments.authorize({ amount: 9999, currency: 'USD', card });
 *   for await (const t of paygate.transactions.list({ status: 'captured' })) console.log(t.id);
 */
import { Events, Fraud, PaymentIntents, Payments, TestHelpers, Transactions, WebhookDeliveries, WebhookEndpoints } from './resources.ts';
import { Transport, type PaygateOptions } from './transport.ts';
import { Webhooks } from './webhooks.ts';

export class Paygate {
  readonly payments: Payments;
  readonly paymentIntents: PaymentIntents;
  readonly transactions: Transactions;
  readonly webhookEndpoints: WebhookEndpoints;
  readonly webhookDeliveries: WebhookDeliveries;
  readonly events: Events;
  readonly testHelpers: TestHelpers;
  readonly fraud: Fraud;
  readonly webhooks: Webhooks;

  constructor(apiKey: string, options: PaygateOptions = {}) {
    const transport = new Transport(apiKey, options);
    this.payments = new Payments(transport);
    this.paymentIntents = new PaymentIntents(transport);
    this.transactions = new Transactions(transport);
    this.webhookEndpoints = new WebhookEndpoints(transport);
    this.webhookDeliveries = new WebhookDeliveries(transport);
    this.events = new Events(transport);
    this.testHelpers = new TestHelpers(transport);
    this.fraud = new Fraud(transport);
    this.webhooks = new Webhooks();
  }

  /** Webhook helpers without a client (no API key needed to verify). */
  static readonly webhooks = new Webhooks();
}

export default Paygate;
export { APIError, AuthenticationError, CardError, ConnectionError, IdempotencyError, InvalidRequestError, PaygateError, PermissionError, RateLimitError } from './errors.ts';
export { PageList } from './pagination.ts';
export type { FetchLike, PaygateOptions, RequestOptions } from './transport.ts';
export { VERSION } from './transport.ts';
export { signWebhook, verifyWebhookSignature, WebhookVerificationError, type HeadersLike, type SignedHeaders, type SignOptions } from './webhooks.ts';
export type * from './types.ts';
export type { components, operations } from './generated/openapi.ts';
