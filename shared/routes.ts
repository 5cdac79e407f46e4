/**
 * The one route table. The local gateway and the CDK stack both read it, so the two runtimes
 * cannot drift: each route names its handler module under functions/, how callers authenticate,
 * and the rate-limit class it counts against.
 */
import type { MacPurpose } from './ports.ts';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';
export type AuthKind = 'api_key' | 'client_secret' | 'admin' | 'none';
export type RateLimitClass = 'payment' | 'transaction' | 'public';

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway style: `{id}` marks a path parameter. */
  path: string;
  /** Module under functions/, without extension; it exports `endpoint` and `handler`. */
  handler: string;
  auth: AuthKind;
  rateLimit: RateLimitClass | null;
  /**
   * The MACs the function derives (shared/ports.ts `MacPurpose`): `card-fingerprint` (a card's
   * per-merchant fingerprint), `request-hash` (card data in the idempotency hash), `client-secret`
   * (payment intents), `webhook-secret` (signing secrets). Each purpose is its own KMS HMAC key in
   * AWS, granted only to the functions that name it here; the vault a handler gets refuses every
   * other purpose, locally too (shared/http/endpoint.ts), so a missing name fails the tests as IAM
   * would refuse it in AWS. No route seals or decrypts: a raw card's number is not kept (its token
   * is used by its payment); Paygate.js tokens, which pay later, will be the first to seal.
   */
  macs?: readonly MacPurpose[];
  /** The body may carry a card: its number and CVV enter the idempotency request hash only as a keyed MAC. */
  takesCards?: true;
  /** Changes nothing in the store but its counters (rate limits): its function may not put or delete items. */
  readsOnly?: true;
  /** `/health`: reads the store's one health item (and nothing else) to know the table answers. */
  probesStore?: true;
  /**
   * Table indexes only the functions that name them may query (every function of the table may
   * query gsi1, gsi2 and `due`): `byParent` (gsi3) serves the deliveries of an endpoint and the
   * payments of a customer email.
   */
  privateIndexes?: readonly PrivateIndex[];
}

/** The keys of shared/adapters/dynamodb/table.ts's TABLE.indexes that are open only to the routes naming them. */
export type PrivateIndex = 'byParent';

export const ROUTES = {
  health: { method: 'GET', path: '/health', handler: 'health/get-health', auth: 'none', rateLimit: null, probesStore: true },
  // A built document served from memory: counting a rate limit in the table would cost more than
  // serving it, so it has none (the stack gives it a route throttle of its own) and no table.
  openApiDocument: { method: 'GET', path: '/api/openapi.json', handler: 'docs/get-openapi-document', auth: 'none', rateLimit: null, readsOnly: true },
  // The developer pages: built at build time and served from memory, like the document above.
  docsReference: { method: 'GET', path: '/docs', handler: 'docs/get-reference-page', auth: 'none', rateLimit: null, readsOnly: true },
  docsGuide: { method: 'GET', path: '/docs/{page}', handler: 'docs/get-guide-page', auth: 'none', rateLimit: null, readsOnly: true },
  docsAsset: { method: 'GET', path: '/docs/assets/{file}', handler: 'docs/get-docs-asset', auth: 'none', rateLimit: null, readsOnly: true },

  authorizePayment: { method: 'POST', path: '/api/v1/payments/authorize', handler: 'payments/authorize-payment', auth: 'api_key', rateLimit: 'payment', macs: ['card-fingerprint', 'request-hash'], takesCards: true },
  salePayment: { method: 'POST', path: '/api/v1/payments/sale', handler: 'payments/sale-payment', auth: 'api_key', rateLimit: 'payment', macs: ['card-fingerprint', 'request-hash'], takesCards: true },
  capturePayment: { method: 'POST', path: '/api/v1/payments/{id}/capture', handler: 'payments/capture-payment', auth: 'api_key', rateLimit: 'payment' },
  voidPayment: { method: 'POST', path: '/api/v1/payments/{id}/void', handler: 'payments/void-payment', auth: 'api_key', rateLimit: 'payment' },
  refundPayment: { method: 'POST', path: '/api/v1/payments/{id}/refund', handler: 'payments/refund-payment', auth: 'api_key', rateLimit: 'payment' },
  listPayments: { method: 'GET', path: '/api/v1/payments', handler: 'payments/list-payments', auth: 'api_key', rateLimit: 'payment', readsOnly: true, privateIndexes: ['byParent'] },
  getPayment: { method: 'GET', path: '/api/v1/payments/{id}', handler: 'payments/get-payment', auth: 'api_key', rateLimit: 'payment', readsOnly: true },

  createPaymentIntent: { method: 'POST', path: '/api/v1/payment-intents', handler: 'intents/create-payment-intent', auth: 'api_key', rateLimit: 'payment', macs: ['client-secret'] },
  listPaymentIntents: { method: 'GET', path: '/api/v1/payment-intents', handler: 'intents/list-payment-intents', auth: 'api_key', rateLimit: 'payment', readsOnly: true },
  getPaymentIntent: { method: 'GET', path: '/api/v1/payment-intents/{id}', handler: 'intents/get-payment-intent', auth: 'api_key', rateLimit: 'payment', macs: ['client-secret'], readsOnly: true },
  cancelPaymentIntent: { method: 'POST', path: '/api/v1/payment-intents/{id}/cancel', handler: 'intents/cancel-payment-intent', auth: 'api_key', rateLimit: 'payment', macs: ['client-secret'] },
  getPublicPaymentIntent: { method: 'GET', path: '/api/public/payment-intents/{id}', handler: 'intents/get-public-payment-intent', auth: 'client_secret', rateLimit: 'public', macs: ['client-secret'], readsOnly: true },
  confirmPaymentIntent: { method: 'POST', path: '/api/public/payment-intents/{id}/confirm', handler: 'intents/confirm-payment-intent', auth: 'client_secret', rateLimit: 'public', macs: ['client-secret', 'card-fingerprint', 'request-hash'], takesCards: true },
  checkoutPage: { method: 'GET', path: '/checkout/{id}', handler: 'checkout/get-checkout-page', auth: 'none', rateLimit: 'public', readsOnly: true },
  checkoutCancel: { method: 'GET', path: '/checkout/{id}/cancel', handler: 'checkout/cancel-checkout', auth: 'client_secret', rateLimit: 'public', macs: ['client-secret'], readsOnly: true },
  checkoutAsset: { method: 'GET', path: '/checkout/assets/{file}', handler: 'checkout/get-checkout-asset', auth: 'none', rateLimit: 'public', readsOnly: true },

  getTransaction: { method: 'GET', path: '/api/v1/transactions/{id}', handler: 'transactions/get-transaction', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },
  listTransactions: { method: 'GET', path: '/api/v1/transactions', handler: 'transactions/list-transactions', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },

  createWebhookEndpoint: { method: 'POST', path: '/api/v1/webhook-endpoints', handler: 'webhooks/create-webhook-endpoint', auth: 'api_key', rateLimit: 'transaction', macs: ['webhook-secret'] },
  listWebhookEndpoints: { method: 'GET', path: '/api/v1/webhook-endpoints', handler: 'webhooks/list-webhook-endpoints', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },
  deleteWebhookEndpoint: { method: 'DELETE', path: '/api/v1/webhook-endpoints/{id}', handler: 'webhooks/delete-webhook-endpoint', auth: 'api_key', rateLimit: 'transaction' },
  rotateWebhookSecret: { method: 'POST', path: '/api/v1/webhook-endpoints/{id}/rotate-secret', handler: 'webhooks/rotate-webhook-secret', auth: 'api_key', rateLimit: 'transaction', macs: ['webhook-secret'] },
  listWebhookDeliveries: { method: 'GET', path: '/api/v1/webhook-deliveries', handler: 'webhooks/list-webhook-deliveries', auth: 'api_key', rateLimit: 'transaction', readsOnly: true, privateIndexes: ['byParent'] },
  retryWebhookDelivery: { method: 'POST', path: '/api/v1/webhook-deliveries/{id}/retry', handler: 'webhooks/retry-webhook-delivery', auth: 'api_key', rateLimit: 'transaction' },

  // Test helpers (API.md, "Test helpers"): test keys only, `403 test_mode_only` on the live stage.
  expirePaymentNow: { method: 'POST', path: '/api/v1/test_helpers/payments/{id}/expire', handler: 'test-helpers/expire-payment', auth: 'api_key', rateLimit: 'payment' },
  expirePaymentIntentNow: { method: 'POST', path: '/api/v1/test_helpers/payment-intents/{id}/expire', handler: 'test-helpers/expire-payment-intent', auth: 'api_key', rateLimit: 'payment', macs: ['client-secret'] },
  listEvents: { method: 'GET', path: '/api/v1/events', handler: 'events/list-events', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },
  getEvent: { method: 'GET', path: '/api/v1/events/{id}', handler: 'events/get-event', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },

  getFraudSettings: { method: 'GET', path: '/api/v1/fraud/settings', handler: 'fraud/get-fraud-settings', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },
  updateFraudSettings: { method: 'POST', path: '/api/v1/fraud/settings', handler: 'fraud/update-fraud-settings', auth: 'api_key', rateLimit: 'transaction' },
  createBlockListEntry: { method: 'POST', path: '/api/v1/fraud/block-list', handler: 'fraud/create-block-list-entry', auth: 'api_key', rateLimit: 'transaction' },
  listBlockList: { method: 'GET', path: '/api/v1/fraud/block-list', handler: 'fraud/list-block-list', auth: 'api_key', rateLimit: 'transaction', readsOnly: true },
  deleteBlockListEntry: { method: 'DELETE', path: '/api/v1/fraud/block-list/{id}', handler: 'fraud/delete-block-list-entry', auth: 'api_key', rateLimit: 'transaction' },

  createMerchant: { method: 'POST', path: '/api/admin/merchants', handler: 'admin/create-merchant', auth: 'admin', rateLimit: null },
  createApiKey: { method: 'POST', path: '/api/admin/merchants/{id}/api-keys', handler: 'admin/create-api-key', auth: 'admin', rateLimit: null },
  revokeApiKey: { method: 'DELETE', path: '/api/admin/merchants/{id}/api-keys/{key_id}', handler: 'admin/revoke-api-key', auth: 'admin', rateLimit: null },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
