/**
 * What the OpenAPI document says of each route beyond what the code already knows: a summary, the
 * answer's schema (./answers.ts), the error codes of the endpoint's own rules, an example request
 * and what each parameter is. Request schemas, success statuses, authentication, limits and the
 * errors every route of a kind answers come from the endpoints and the route table
 * (./document.ts). Kept here, not in the endpoint modules: no Lambda bundle needs it.
 */
import type * as z from 'zod';
import { MAX_ENDPOINTS_PER_MERCHANT } from '../../shared/commands/webhooks.ts';
import type { RouteName } from '../../shared/routes.ts';
import {
  BlockListAnswer,
  BlockListEntryAnswer,
  ConfirmedPaymentIntentAnswer,
  DeletedBlockListEntryAnswer,
  DeletedWebhookEndpointAnswer,
  EventAnswer,
  EventListAnswer,
  exampleId,
  FraudSettingsAnswer,
  HealthAnswer,
  MerchantWithKeyAnswer,
  OpenApiDocumentAnswer,
  PaymentAnswer,
  PaymentIntentAnswer,
  PaymentIntentListAnswer,
  PaymentListAnswer,
  PublicPaymentIntentAnswer,
  RevokedApiKeyAnswer,
  TransactionAnswer,
  TransactionListAnswer,
  WebhookDeliveryAnswer,
  WebhookDeliveryListAnswer,
  WebhookEndpointAnswer,
  WebhookEndpointListAnswer,
} from './answers.ts';

/** Sections of the API reference, in the order it shows them. */
export const TAGS = {
  Payments: 'Authorize a card, capture, void and refund: a payment and its lifecycle.',
  Transactions: 'Every operation on a payment writes one transaction.',
  'Payment intents': 'Hosted checkout: create an intent, send your customer to its `checkout_url`.',
  Checkout: "What the checkout page (or your own page) calls from the customer's browser, with the intent's client secret.",
  Webhooks: 'Signed POSTs (Standard Webhooks) to your endpoints when something happens, retried until answered.',
  Fraud: "The fraud rules' thresholds and the block list: what is reviewed, what is declined.",
  Events: 'Everything that happened to your payments and intents, as webhooks deliver it; kept 30 days.',
  'Test helpers': 'Test mode only (a live stage answers `403 test_mode_only`): make what takes days happen now.',
  Operator: "The gateway operator's routes: merchants and their API keys.",
  Service: 'The service itself.',
} as const;
export type DocTag = keyof typeof TAGS;

/** An answer that is not JSON. */
export interface RawAnswerDoc {
  description: string;
  /** When not the endpoint's success status (a redirect). */
  status?: number;
  /** The media types it comes in; none for an empty body. */
  mediaTypes?: readonly string[];
  /** Headers of the answer, by name: what each holds. */
  headers?: Readonly<Record<string, string>>;
}

export interface ParameterDoc {
  description: string;
  example: string | number;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: DocTag;
  /** The success answer: a zod schema of its JSON, or what a non-JSON answer is. */
  answer: z.ZodType | RawAnswerDoc;
  /** The codes of the endpoint's own rules (domain and command errors); what every route of its kind answers is added. */
  errors?: readonly string[];
  /** A request body, for routes that take one. */
  requestExample?: Readonly<Record<string, unknown>>;
  /** Every path and query parameter of the endpoint's schemas: the build refuses one left out. */
  parameters?: Readonly<Record<string, ParameterDoc>>;
}

const CARD_EXAMPLE = { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvv: '123', holder_name: 'Jane Doe' };
const CLIENT_SECRET = `${exampleId('paymentIntent')}_secret_Z8xW2vB6nM0qL4kJ7hG1fD3sA9pO5iU8yT2rE6wQ`;
const CARD_ERRORS = ['invalid_card_number', 'invalid_expiry', 'invalid_cvv', 'card_declined', 'fraud_declined'];

const idParameter = (what: string, example: string): Record<string, ParameterDoc> => ({ id: { description: `The ${what}'s id.`, example } });
/** What every list takes (API.md, "Lists"), its objects those of `example`'s kind. */
const listParameters = (example: string): Record<string, ParameterDoc> => ({
  limit: { description: 'How many, 1 to 100 (default 10).', example: 10 },
  offset: { description: 'How many to skip, newest first, at most 10,000 (default 0); not with a cursor.', example: 0 },
  ...cursors(example),
  'created[gte]': { description: 'Only those created at or after this time (ISO-8601, with its offset).', example: '2026-12-01T00:00:00Z' },
  'created[lt]': { description: 'Only those created before this time (ISO-8601, with its offset).', example: '2026-12-08T00:00:00Z' },
});
/** A list's cursors (API.md, "Lists"): one at a time, and not with an offset. */
const cursors = (example: string): Record<string, ParameterDoc> => ({
  starting_after: { description: "The page after this object (the previous page's last `id`): the next older ones.", example },
  ending_before: { description: "The page before this object (the current page's first `id`): the newer ones.", example },
});
const CLIENT_SECRET_PARAMETER: Record<string, ParameterDoc> = {
  client_secret: { description: "The intent's client secret (or send it in `X-Client-Secret`).", example: CLIENT_SECRET },
};

const newPayment = (capture: boolean): RouteDoc => ({
  summary: capture ? 'Charge a card (sale)' : 'Authorize a card',
  description: capture
    ? 'Authorizes and captures at once: the payment is `captured`. A declined card still makes a payment (`failed`): the 402 names it.'
    : 'Holds the amount on the card for 7 days: capture it, or void it. A declined card still makes a payment (`failed`): the 402 names it.',
  tag: 'Payments',
  answer: PaymentAnswer,
  errors: CARD_ERRORS,
  requestExample: {
    amount: 9999,
    currency: 'USD',
    card: CARD_EXAMPLE,
    customer: { email: 'jane@example.com', name: 'Jane Doe' },
    description: 'Order #12345',
    metadata: { order_id: '12345' },
  },
});

export const ROUTE_DOCS: Readonly<Record<RouteName, RouteDoc>> = {
  health: { summary: 'Health', description: '`ok` while the store answers a read; `503` otherwise.', tag: 'Service', answer: HealthAnswer },
  openApiDocument: {
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of every route, built from the schemas the gateway validates with; its server is the gateway that serves it.',
    tag: 'Service',
    answer: OpenApiDocumentAnswer,
  },
  docsReference: {
    summary: 'The API reference page',
    description: 'This document rendered with Redoc, with the guides beside it; every asset comes from this gateway.',
    tag: 'Service',
    answer: { description: 'The page, under a strict Content-Security-Policy.', mediaTypes: ['text/html'] },
  },
  docsGuide: {
    summary: 'A guide',
    description: "Quick start, idempotency and retries, webhooks and signatures, test cards, and errors: each error's `doc_url` points at its section of `/docs/errors`.",
    tag: 'Service',
    answer: { description: 'The guide, under a strict Content-Security-Policy.', mediaTypes: ['text/html'] },
    parameters: { page: { description: 'Which guide.', example: 'errors' } },
  },
  docsAsset: {
    summary: "The docs pages' scripts and style",
    description: 'Each name carries a hash of its content: cached for a year.',
    tag: 'Service',
    answer: { description: 'JavaScript or CSS.', mediaTypes: ['text/javascript', 'text/css'] },
    parameters: { file: { description: 'Which asset, as the pages name it.', example: 'docs.0123456789ab.css' } },
  },

  authorizePayment: newPayment(false),
  salePayment: newPayment(true),
  capturePayment: {
    summary: 'Capture a payment',
    description: 'Once per authorization, all of it (the default) or part of it; the rest is released.',
    tag: 'Payments',
    answer: PaymentAnswer,
    errors: ['already_captured', 'amount_too_high', 'authorization_expired', 'invalid_state'],
    requestExample: { amount: 5000 },
    parameters: idParameter('payment', exampleId('payment')),
  },
  voidPayment: {
    summary: 'Void a payment',
    description: 'Releases an authorization that was not captured.',
    tag: 'Payments',
    answer: PaymentAnswer,
    errors: ['already_captured', 'already_voided', 'invalid_state'],
    requestExample: { reason: 'Order canceled by the customer' },
    parameters: idParameter('payment', exampleId('payment')),
  },
  refundPayment: {
    summary: 'Refund a payment',
    description: 'All that is not refunded yet (the default) or part of it, as many times as you like until all of it is refunded.',
    tag: 'Payments',
    answer: PaymentAnswer,
    errors: ['not_captured', 'amount_too_high', 'already_refunded'],
    requestExample: { amount: 2500, reason: 'One item returned' },
    parameters: idParameter('payment', exampleId('payment')),
  },
  listPayments: {
    summary: 'List payments',
    description:
      'Newest first; filter by `status`, `customer_email` or `payment_intent` (each served by an index: `status` with `customer_email` only within a `payment_intent`), and by creation time.',
    tag: 'Payments',
    answer: PaymentListAnswer,
    parameters: {
      status: { description: 'Only payments of this status.', example: 'captured' },
      customer_email: { description: "Only payments of this customer email (case-insensitive).", example: 'jane@example.com' },
      payment_intent: { description: 'Only the payments this intent made (its declined attempts too).', example: exampleId('paymentIntent') },
      ...listParameters(exampleId('payment')),
    },
  },
  getPayment: { summary: 'Retrieve a payment', tag: 'Payments', answer: PaymentAnswer, parameters: idParameter('payment', exampleId('payment')) },

  createPaymentIntent: {
    summary: 'Create a payment intent',
    description: 'A hosted checkout session, valid 1 hour: send your customer to its `checkout_url`.',
    tag: 'Payment intents',
    answer: PaymentIntentAnswer,
    requestExample: { amount: 5000, currency: 'EUR', success_url: 'https://shop.example.com/thanks', cancel_url: 'https://shop.example.com/cart', order_id: 'order-7', description: 'Two tickets' },
  },
  listPaymentIntents: {
    summary: 'List payment intents',
    description: 'Newest first, by creation time; without their client secrets (`null`): retrieve an intent for its own.',
    tag: 'Payment intents',
    answer: PaymentIntentListAnswer,
    parameters: listParameters(exampleId('paymentIntent')),
  },
  getPaymentIntent: { summary: 'Retrieve a payment intent', tag: 'Payment intents', answer: PaymentIntentAnswer, parameters: idParameter('payment intent', exampleId('paymentIntent')) },
  cancelPaymentIntent: {
    summary: 'Cancel a payment intent',
    description: 'Only an intent not paid yet; its checkout link stops working.',
    tag: 'Payment intents',
    answer: PaymentIntentAnswer,
    errors: ['already_completed', 'invalid_state'],
    parameters: idParameter('payment intent', exampleId('paymentIntent')),
  },
  getPublicPaymentIntent: {
    summary: 'Retrieve a payment intent (browser)',
    description: 'What a checkout page may show of an intent.',
    tag: 'Checkout',
    answer: PublicPaymentIntentAnswer,
    parameters: { ...idParameter('payment intent', exampleId('paymentIntent')), ...CLIENT_SECRET_PARAMETER },
  },
  confirmPaymentIntent: {
    summary: 'Pay a payment intent',
    description:
      "The checkout page's call: pays the intent with a card. The client secret may also come in the body (`client_secret`). A decline counts as an attempt; after 5 the intent is `failed`.",
    tag: 'Checkout',
    answer: ConfirmedPaymentIntentAnswer,
    errors: [...CARD_ERRORS, 'already_completed', 'invalid_state', 'intent_expired', 'max_attempts_exceeded'],
    requestExample: { client_secret: CLIENT_SECRET, card: CARD_EXAMPLE, customer_email: 'jane@example.com' },
    parameters: idParameter('payment intent', exampleId('paymentIntent')),
  },
  checkoutPage: {
    summary: 'The hosted checkout page',
    description: "Where `checkout_url` sends your customer (with the client secret in its query, read by the page's script).",
    tag: 'Checkout',
    answer: { description: 'The page, under a strict Content-Security-Policy.', mediaTypes: ['text/html'] },
    parameters: idParameter('payment intent', exampleId('paymentIntent')),
  },
  checkoutCancel: {
    summary: 'Leave the checkout page',
    description: "The page's cancel link: sends the customer to the intent's `cancel_url`, which the public API never shows. The intent stays open.",
    tag: 'Checkout',
    answer: { description: 'A redirect to `cancel_url`.', status: 303, headers: { Location: "The intent's `cancel_url`." } },
    parameters: { ...idParameter('payment intent', exampleId('paymentIntent')), ...CLIENT_SECRET_PARAMETER },
  },
  checkoutAsset: {
    summary: "The checkout page's script and style",
    tag: 'Checkout',
    answer: { description: '`checkout.js` (JavaScript) or `checkout.css` (CSS).', mediaTypes: ['text/javascript', 'text/css'] },
    parameters: { file: { description: 'Which asset.', example: 'checkout.js' } },
  },

  getTransaction: { summary: 'Retrieve a transaction', tag: 'Transactions', answer: TransactionAnswer, parameters: idParameter('transaction', exampleId('transaction')) },
  listTransactions: {
    summary: 'List transactions',
    description: 'Newest first; filter by `status`.',
    tag: 'Transactions',
    answer: TransactionListAnswer,
    parameters: { status: { description: 'Only transactions of this status.', example: 'captured' }, ...listParameters(exampleId('transaction')) },
  },

  createWebhookEndpoint: {
    summary: 'Create a webhook endpoint',
    description: `Events are POSTed to \`url\`, signed with the secret shown once in this answer; at most ${MAX_ENDPOINTS_PER_MERCHANT} endpoints per merchant.`,
    tag: 'Webhooks',
    answer: WebhookEndpointAnswer,
    requestExample: { url: 'https://shop.example.com/paygate/webhooks', events: ['payment.captured', 'payment.refunded'] },
  },
  listWebhookEndpoints: { summary: 'List webhook endpoints', description: 'Without their secrets.', tag: 'Webhooks', answer: WebhookEndpointListAnswer },
  deleteWebhookEndpoint: {
    summary: 'Delete a webhook endpoint',
    tag: 'Webhooks',
    answer: DeletedWebhookEndpointAnswer,
    parameters: idParameter('webhook endpoint', exampleId('webhookEndpoint')),
  },
  rotateWebhookSecret: {
    summary: 'Rotate a signing secret',
    description: 'A new secret, shown once; deliveries are signed with both the old and the new one for 24 hours.',
    tag: 'Webhooks',
    answer: WebhookEndpointAnswer,
    errors: ['invalid_state'],
    parameters: idParameter('webhook endpoint', exampleId('webhookEndpoint')),
  },
  listWebhookDeliveries: {
    summary: 'List webhook deliveries',
    description: 'Newest first; filter by event, endpoint or status.',
    tag: 'Webhooks',
    answer: WebhookDeliveryListAnswer,
    parameters: {
      event_id: { description: "Only this event's deliveries.", example: exampleId('event') },
      endpoint_id: { description: "Only this endpoint's deliveries.", example: exampleId('webhookEndpoint') },
      status: { description: 'Only deliveries of this status.', example: 'failed' },
      ...listParameters(exampleId('webhookDelivery')),
    },
  },
  retryWebhookDelivery: {
    summary: 'Retry a webhook delivery',
    description: 'One more attempt of a failed or expired delivery, now. With a test key, a pending delivery too: its next attempt happens now instead of at its scheduled time.',
    tag: 'Webhooks',
    answer: WebhookDeliveryAnswer,
    errors: ['invalid_state'],
    parameters: idParameter('webhook delivery', exampleId('webhookDelivery')),
  },

  expirePaymentNow: {
    summary: 'Expire an authorization now',
    description: 'The authorization expires now, exactly as the 7-day job would expire it: transaction `expire`, event `payment.expired`.',
    tag: 'Test helpers',
    answer: PaymentAnswer,
    errors: ['invalid_state', 'test_mode_only'],
    parameters: idParameter('payment', exampleId('payment')),
  },
  expirePaymentIntentNow: {
    summary: 'Expire a payment intent now',
    description: 'The intent expires now (its `expires_at` becomes now): its checkout link stops working.',
    tag: 'Test helpers',
    answer: PaymentIntentAnswer,
    errors: ['already_completed', 'invalid_state', 'test_mode_only'],
    parameters: idParameter('payment intent', exampleId('paymentIntent')),
  },
  listEvents: {
    summary: 'List events',
    description: 'Newest first; filter by `type`.',
    tag: 'Events',
    answer: EventListAnswer,
    parameters: { type: { description: 'Only events of this type.', example: 'payment.captured' }, ...listParameters(exampleId('event')) },
  },
  getEvent: { summary: 'Retrieve an event', tag: 'Events', answer: EventAnswer, parameters: idParameter('event', exampleId('event')) },

  getFraudSettings: {
    summary: 'Retrieve the fraud settings',
    description: "The thresholds the merchant's payments are decided at: a score above `review_above` is reviewed, above `decline_above` declined.",
    tag: 'Fraud',
    answer: FraudSettingsAnswer,
  },
  updateFraudSettings: {
    summary: 'Change the fraud settings',
    description: 'Either threshold or both, integers 0 to 100; `review_above` may not be above `decline_above`. Payments made from now on are decided at the new thresholds.',
    tag: 'Fraud',
    answer: FraudSettingsAnswer,
    requestExample: { review_above: 40, decline_above: 80 },
  },
  createBlockListEntry: {
    summary: 'Block a card, an email or an IP address',
    description:
      'A payment naming a blocked value is declined (`402 fraud_declined`, rule `block_list`): a card by its `card.fingerprint`, an email compared case-insensitively, the shopper\'s IP address. A value already blocked: `409 invalid_state` naming its entry.',
    tag: 'Fraud',
    answer: BlockListEntryAnswer,
    errors: ['invalid_state'],
    requestExample: { type: 'email', value: 'tester@example.com' },
  },
  listBlockList: {
    summary: 'List the block list',
    description: 'Newest first.',
    tag: 'Fraud',
    answer: BlockListAnswer,
    parameters: listParameters(exampleId('blockListEntry')),
  },
  deleteBlockListEntry: {
    summary: 'Unblock a value',
    description: 'At once: the next payment naming it is scored as any other.',
    tag: 'Fraud',
    answer: DeletedBlockListEntryAnswer,
    parameters: idParameter('block list entry', exampleId('blockListEntry')),
  },

  createMerchant: {
    summary: 'Create a merchant',
    description: 'Makes a merchant and its first secret key, shown once.',
    tag: 'Operator',
    answer: MerchantWithKeyAnswer,
    requestExample: { name: 'Acme' },
  },
  createApiKey: {
    summary: 'Issue an API key',
    description: "Another secret key for the merchant (for rotation), shown once; the merchant's other keys keep working until revoked.",
    tag: 'Operator',
    answer: MerchantWithKeyAnswer,
    parameters: idParameter('merchant', exampleId('merchant')),
  },
  revokeApiKey: {
    summary: 'Revoke an API key',
    description: 'At once: the next request with it answers `401`.',
    tag: 'Operator',
    answer: RevokedApiKeyAnswer,
    parameters: { ...idParameter('merchant', exampleId('merchant')), key_id: { description: "The key's id (`api_key_id`).", example: exampleId('apiKey') } },
  },
};
