/**
 * What the API answers, as zod schemas: the answers of the OpenAPI document (the request side is
 * shared/http/schemas.ts, which the endpoints validate with). The views (shared/domain/views.ts)
 * build these objects: `ViewsMatchAnswers` at the end fails the typecheck when a view and its
 * schema part ways, and the e2e suite validates every real answer against the document.
 * Only the document's build reads this module: no Lambda bundle carries it.
 */
import * as z from 'zod';
import { MAX_ENDPOINTS_PER_MERCHANT } from '../../shared/commands/webhooks.ts';
import { CARD_BRANDS } from '../../shared/domain/cards.ts';
import { ERROR_TYPES } from '../../shared/domain/errors.ts';
import { EVENT_TYPES } from '../../shared/domain/events.ts';
import { BLOCK_LIST_TYPES, FRAUD_DECISIONS } from '../../shared/domain/fraud.ts';
import { INTENT_STATUSES } from '../../shared/domain/intents.ts';
import { ID_PREFIXES, idPattern, type IdKind } from '../../shared/domain/ids.ts';
import { MAX_AMOUNT, SUPPORTED_CURRENCIES } from '../../shared/domain/money.ts';
import { PAYMENT_STATUSES, TRANSACTION_STATUSES, TRANSACTION_TYPES } from '../../shared/domain/payment.ts';
import { DELIVERY_STATUSES } from '../../shared/domain/webhooks.ts';
import type {
  blockListEntryView,
  deliveryView,
  fraudSettingsView,
  intentView,
  listView,
  paymentView,
  publicIntentView,
  transactionView,
  webhookEndpointView,
} from '../../shared/domain/views.ts';

/** An id as the API makes them (prefix and 24 base62 characters), for examples. */
export const exampleId = (kind: IdKind, tail = '3kT9xQ2mZ7rB1cW5vY8nL0a1') => `${ID_PREFIXES[kind]}${tail}`;
const CREATED_AT = '2026-11-24T10:00:00.000Z';
const IN_7_DAYS = '2026-12-01T10:00:00.000Z';
const IN_1_HOUR = '2026-11-24T11:00:00.000Z';

const Timestamp = z.iso.datetime().meta({ description: 'ISO-8601, UTC.', examples: [CREATED_AT] });
const MinorUnits = z.number().int().min(0).max(MAX_AMOUNT).meta({ description: 'In minor units (cents): `9999` is 99.99 USD.', examples: [9999] });
const Currency = z.enum(SUPPORTED_CURRENCIES).meta({ description: 'ISO 4217, upper case.' });
const Metadata = z.record(z.string(), z.string()).meta({ description: 'Your own key-value pairs, as sent.', examples: [{ order_id: '12345' }] });
const id = (kind: IdKind) => z.string().regex(idPattern(kind)).meta({ examples: [exampleId(kind)] });
const PaymentId = id('payment');
const IntentId = id('paymentIntent');
const EventId = id('event');
const EndpointId = id('webhookEndpoint');

const PAYMENT_EXAMPLE = {
  id: exampleId('payment'),
  object: 'payment',
  status: 'authorized',
  amount: 9999,
  currency: 'USD',
  amount_capturable: 9999,
  amount_captured: 0,
  amount_refunded: 0,
  card: { token: exampleId('token'), brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, fingerprint: 'pQ3x8KfLz0aB7mN2cR5tYw', holder_name: 'Jane Doe' },
  customer: { email: 'jane@example.com', name: 'Jane Doe', phone: null },
  description: 'Order #12345',
  metadata: { order_id: '12345' },
  fraud: { score: 0, decision: 'approve', rules: [] },
  response_code: '00',
  decline_code: null,
  authorization_code: 'A1B2C3',
  payment_intent_id: null,
  created_at: CREATED_AT,
  updated_at: CREATED_AT,
  authorized_at: CREATED_AT,
  captured_at: null,
  voided_at: null,
  expires_at: IN_7_DAYS,
} as const;

export const PaymentAnswer = z
  .strictObject({
    id: PaymentId,
    object: z.literal('payment'),
    status: z.enum(PAYMENT_STATUSES),
    amount: MinorUnits,
    currency: Currency,
    amount_capturable: MinorUnits,
    amount_captured: MinorUnits,
    amount_refunded: MinorUnits,
    card: z
      .strictObject({
        token: id('token').meta({ description: 'The card token this payment used (single use).' }),
        brand: z.enum(CARD_BRANDS),
        last4: z.string().regex(/^\d{4}$/),
        exp_month: z.number().int().min(1).max(12),
        exp_year: z.number().int().min(2000).max(2100),
        fingerprint: z.string().meta({ description: 'The same card gives the same fingerprint, for this merchant only.' }),
        holder_name: z.string().nullable(),
      })
      .meta({ id: 'CardSummary', description: 'What is kept of a card: never its number or CVV.' }),
    customer: z
      .strictObject({ email: z.string().nullable(), name: z.string().nullable(), phone: z.string().nullable() })
      .nullable()
      .meta({ description: 'Contact details given with the payment.' }),
    description: z.string().nullable(),
    metadata: Metadata,
    fraud: z
      .strictObject({
        score: z.number().int().min(0).max(100),
        decision: z.enum(FRAUD_DECISIONS),
        rules: z
          .array(
            z
              .strictObject({
                id: z.string().meta({ description: 'Which rule fired.', examples: ['ip_card_testing'] }),
                weight: z.number().int().min(0).max(100).meta({ description: 'What it added to the score.', examples: [45] }),
                reason: z.string().meta({ description: 'Why, in words.', examples: ['More than 4 different cards were tried from this IP address in the last hour.'] }),
              })
              .meta({ id: 'FraudRuleHit' }),
          )
          .meta({ description: 'The rules that fired, in the order they were evaluated.', examples: [[{ id: 'large_amount', weight: 15, reason: 'The amount is large.' }]] }),
      })
      .meta({
        id: 'FraudAssessment',
        description:
          "The score is the sum of the weights of the rules that fired (at most 100). Decided at the merchant's thresholds (`GET /api/v1/fraud/settings`; by default above 29 review: authorized, flagged, `payment.review_required`; above 70 decline).",
      }),
    response_code: z.string().meta({ description: "The issuer's answer: `00` approved.", examples: ['00'] }),
    decline_code: z.string().nullable().meta({ examples: ['insufficient_funds'] }),
    authorization_code: z.string().nullable(),
    payment_intent_id: IntentId.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    authorized_at: Timestamp.nullable(),
    captured_at: Timestamp.nullable(),
    voided_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable().meta({ description: 'An authorization not captured by then expires (7 days).' }),
  })
  .meta({ id: 'Payment', description: 'A card payment and where it stands.', examples: [PAYMENT_EXAMPLE] });

const TRANSACTION_EXAMPLE = {
  id: exampleId('transaction'),
  object: 'transaction',
  payment_id: exampleId('payment'),
  type: 'authorize',
  status: 'authorized',
  amount: 9999,
  currency: 'USD',
  reason: null,
  response_code: '00',
  decline_code: null,
  created_at: CREATED_AT,
} as const;

export const TransactionAnswer = z
  .strictObject({
    id: id('transaction'),
    object: z.literal('transaction'),
    payment_id: PaymentId,
    type: z.enum(TRANSACTION_TYPES),
    status: z.enum(TRANSACTION_STATUSES),
    amount: MinorUnits,
    currency: Currency,
    reason: z.string().nullable(),
    response_code: z.string().nullable(),
    decline_code: z.string().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'Transaction', description: 'One operation on a payment; every operation writes one.', examples: [TRANSACTION_EXAMPLE] });

const intentFields = {
  id: IntentId,
  object: z.literal('payment_intent'),
  status: z.enum(INTENT_STATUSES),
  amount: MinorUnits,
  currency: Currency,
  description: z.string().nullable(),
  customer_email: z.string().nullable(),
  expires_at: Timestamp,
};

const CLIENT_SECRET_EXAMPLE = `${exampleId('paymentIntent')}_secret_Z8xW2vB6nM0qL4kJ7hG1fD3sA9pO5iU8yT2rE6wQ`;
const INTENT_EXAMPLE = {
  id: exampleId('paymentIntent'),
  object: 'payment_intent',
  status: 'created',
  amount: 5000,
  currency: 'EUR',
  client_secret: CLIENT_SECRET_EXAMPLE,
  checkout_url: `https://pay.example.com/checkout/${exampleId('paymentIntent')}?client_secret=${CLIENT_SECRET_EXAMPLE}`,
  success_url: 'https://shop.example.com/thanks',
  cancel_url: 'https://shop.example.com/cart',
  order_id: 'order-7',
  description: 'Two tickets',
  capture_method: 'automatic',
  customer_email: null,
  metadata: {},
  payment_id: null,
  attempts: 0,
  max_attempts: 5,
  last_payment_error: null,
  expires_at: IN_1_HOUR,
  created_at: CREATED_AT,
} as const;

export const PaymentIntentAnswer = z
  .strictObject({
    ...intentFields,
    client_secret: z.string().nullable().meta({ description: "Hand it to the customer's browser only; `null` in events." }),
    checkout_url: z.string().nullable().meta({ description: 'The hosted checkout page for this intent; `null` in events.' }),
    success_url: z.string(),
    cancel_url: z.string(),
    order_id: z.string().nullable(),
    capture_method: z.enum(['automatic', 'manual']),
    metadata: Metadata,
    payment_id: PaymentId.nullable(),
    attempts: z.number().int().min(0).max(100),
    max_attempts: z.number().int().min(1).max(100),
    last_payment_error: z.strictObject({ code: z.string(), decline_code: z.string().nullable(), message: z.string() }).nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'PaymentIntent', description: 'A hosted-checkout session: you create it, your customer pays it.', examples: [INTENT_EXAMPLE] });

const PUBLIC_INTENT_EXAMPLE = {
  id: exampleId('paymentIntent'),
  object: 'payment_intent',
  status: 'created',
  amount: 5000,
  currency: 'EUR',
  description: 'Two tickets',
  merchant_name: 'Acme',
  customer_email: null,
  expires_at: IN_1_HOUR,
} as const;

export const PublicPaymentIntentAnswer = z
  .strictObject({ ...intentFields, merchant_name: z.string() })
  .meta({ id: 'PublicPaymentIntent', description: 'What a checkout page may show of an intent: no secret, no metadata, no URLs.', examples: [PUBLIC_INTENT_EXAMPLE] });

export const ConfirmedPaymentIntentAnswer = z
  .strictObject({
    ...PublicPaymentIntentAnswer.shape,
    status: z.literal('succeeded'),
    payment_id: PaymentId,
    redirect_url: z.string().meta({ description: "Where the browser goes now: the intent's `success_url`, naming the intent." }),
  })
  .meta({
    id: 'ConfirmedPaymentIntent',
    examples: [
      {
        ...PUBLIC_INTENT_EXAMPLE,
        status: 'succeeded',
        customer_email: 'jane@example.com',
        payment_id: exampleId('payment'),
        redirect_url: `https://shop.example.com/thanks?payment_intent=${exampleId('paymentIntent')}`,
      },
    ],
  });

const EVENT_EXAMPLE = {
  id: exampleId('event'),
  object: 'event',
  type: 'payment.authorized',
  created_at: CREATED_AT,
  object_version: 1,
  data: { object: PAYMENT_EXAMPLE },
} as const;

export const EventAnswer = z
  .strictObject({
    id: EventId,
    object: z.literal('event'),
    type: z.enum(EVENT_TYPES),
    created_at: Timestamp,
    object_version: z
      .int()
      .min(1)
      .optional()
      .meta({ description: "The object's version after this change (1 when created): of two events of one object, the higher is the later, whatever order they arrive in. Absent on events older than the field." }),
    data: z.strictObject({
      object: z.union([PaymentAnswer, PaymentIntentAnswer]).meta({ description: 'The payment or the intent as it was right after the change (intents without their client secret).' }),
    }),
  })
  .meta({ id: 'Event', description: 'Something that happened to a payment or an intent, as webhooks deliver it.', examples: [EVENT_EXAMPLE] });

const WEBHOOK_ENDPOINT_EXAMPLE = {
  id: exampleId('webhookEndpoint'),
  object: 'webhook_endpoint',
  url: 'https://shop.example.com/paygate/webhooks',
  events: ['payment.captured', 'payment.refunded'],
  created_at: CREATED_AT,
} as const;

export const WebhookEndpointAnswer = z
  .strictObject({
    id: EndpointId,
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    events: z.array(z.enum([...EVENT_TYPES, '*'])).meta({ description: '`["*"]`: every type, including types added later.' }),
    created_at: Timestamp,
    secret: z
      .string()
      .regex(/^whsec_/)
      .optional()
      .meta({ description: 'The signing secret: in the answers of creation and rotation only.', examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0fZdqYS6u4s='] }),
  })
  .meta({ id: 'WebhookEndpoint', examples: [WEBHOOK_ENDPOINT_EXAMPLE] });

export const DeletedWebhookEndpointAnswer = z
  .strictObject({ id: EndpointId, object: z.literal('webhook_endpoint'), deleted: z.literal(true) })
  .meta({ id: 'DeletedWebhookEndpoint' });

const DELIVERY_EXAMPLE = {
  id: exampleId('webhookDelivery'),
  object: 'webhook_delivery',
  event_id: exampleId('event'),
  event_type: 'payment.captured',
  endpoint_id: exampleId('webhookEndpoint'),
  url: 'https://shop.example.com/paygate/webhooks',
  status: 'pending',
  attempts: 1,
  last_status_code: 503,
  last_error: null,
  last_attempt_at: CREATED_AT,
  next_attempt_at: '2026-11-24T10:05:00.000Z',
  created_at: CREATED_AT,
} as const;

export const WebhookDeliveryAnswer = z
  .strictObject({
    id: id('webhookDelivery'),
    object: z.literal('webhook_delivery'),
    event_id: EventId,
    event_type: z.enum(EVENT_TYPES),
    endpoint_id: EndpointId,
    url: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int().min(0).max(100),
    last_status_code: z.number().int().min(100).max(599).nullable(),
    last_error: z.string().nullable(),
    last_attempt_at: Timestamp.nullable(),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'WebhookDelivery', description: "One event's delivery to one endpoint, with its attempts.", examples: [DELIVERY_EXAMPLE] });

/** A page of a list, newest first, as `listView` makes it. */
function pageOf<T extends z.ZodType>(item: T, name: string, example: unknown) {
  return z
    .strictObject({
      object: z.literal('list'),
      data: z.array(item),
      limit: z.number().int().min(1).max(100),
      offset: z.number().int().min(0).max(10_000),
      has_more: z.boolean().meta({ description: 'More items past this page: ask again with `offset` moved by `limit`.' }),
    })
    .meta({ id: `${name}List`, examples: [{ object: 'list', data: [example], limit: 10, offset: 0, has_more: false }] });
}

export const TransactionListAnswer = pageOf(TransactionAnswer, 'Transaction', TRANSACTION_EXAMPLE);
export const PaymentListAnswer = pageOf(PaymentAnswer, 'Payment', PAYMENT_EXAMPLE);
export const PaymentIntentListAnswer = pageOf(PaymentIntentAnswer, 'PaymentIntent', { ...INTENT_EXAMPLE, client_secret: null });
export const EventListAnswer = pageOf(EventAnswer, 'Event', EVENT_EXAMPLE);
export const WebhookDeliveryListAnswer = pageOf(WebhookDeliveryAnswer, 'WebhookDelivery', DELIVERY_EXAMPLE);

/** A merchant's endpoints are few (MAX_ENDPOINTS_PER_MERCHANT): one list, never paged. */
export const WebhookEndpointListAnswer = z
  .strictObject({ object: z.literal('list'), data: z.array(WebhookEndpointAnswer).max(MAX_ENDPOINTS_PER_MERCHANT), has_more: z.literal(false) })
  .meta({ id: 'WebhookEndpointList', examples: [{ object: 'list', data: [WEBHOOK_ENDPOINT_EXAMPLE], has_more: false }] });

export const MerchantWithKeyAnswer = z
  .strictObject({
    id: id('merchant'),
    object: z.literal('merchant'),
    name: z.string(),
    api_key: z.string().meta({ description: 'The secret key, shown only here: only its hash is kept.' }),
    api_key_id: id('apiKey'),
    created_at: Timestamp,
  })
  .meta({
    id: 'MerchantWithKey',
    examples: [
      { id: exampleId('merchant'), object: 'merchant', name: 'Acme', api_key: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc8Kk2Lm9Q', api_key_id: exampleId('apiKey'), created_at: CREATED_AT },
    ],
  });

export const RevokedApiKeyAnswer = z
  .strictObject({ id: id('apiKey'), object: z.literal('api_key'), merchant_id: id('merchant'), revoked: z.literal(true) })
  .meta({ id: 'RevokedApiKey' });

const FRAUD_SETTINGS_EXAMPLE = { object: 'fraud_settings', review_above: 29, decline_above: 70 } as const;

export const FraudSettingsAnswer = z
  .strictObject({
    object: z.literal('fraud_settings'),
    review_above: z.number().int().min(0).max(100).meta({ description: 'A payment scoring above this is reviewed: authorized, flagged, `payment.review_required`.' }),
    decline_above: z.number().int().min(0).max(100).meta({ description: 'A payment scoring above this is declined: `402 fraud_declined`.' }),
  })
  .meta({ id: 'FraudSettings', description: "The merchant's fraud thresholds (defaults 29 and 70).", examples: [FRAUD_SETTINGS_EXAMPLE] });

const BLOCK_LIST_ENTRY_EXAMPLE = { id: exampleId('blockListEntry'), object: 'block_list_entry', type: 'email', value: 'tester@example.com', created_at: CREATED_AT } as const;

export const BlockListEntryAnswer = z
  .strictObject({
    id: id('blockListEntry'),
    object: z.literal('block_list_entry'),
    type: z.enum(BLOCK_LIST_TYPES),
    value: z.string().meta({ description: 'The blocked card fingerprint, email (in lower case: emails compare case-insensitively) or IP address.' }),
    created_at: Timestamp,
  })
  .meta({ id: 'BlockListEntry', description: 'A value a payment is declined for (rule `block_list`).', examples: [BLOCK_LIST_ENTRY_EXAMPLE] });

export const BlockListAnswer = pageOf(BlockListEntryAnswer, 'BlockListEntry', BLOCK_LIST_ENTRY_EXAMPLE);

export const DeletedBlockListEntryAnswer = z
  .strictObject({ id: id('blockListEntry'), object: z.literal('block_list_entry'), deleted: z.literal(true) })
  .meta({ id: 'DeletedBlockListEntry' });

export const HealthAnswer = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });

/** This document itself: what a client can rely on without reading it. */
export const OpenApiDocumentAnswer = z
  .looseObject({
    openapi: z.literal('3.1.0'),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    servers: z.array(z.looseObject({ url: z.string() })).min(1),
    paths: z.record(z.string(), z.looseObject({})),
  })
  .meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document: this one.' });

/** The error body, every status and code alike; the document narrows `type` and `code` to what each answer of each operation may carry. */
export const ErrorAnswer = z
  .strictObject({
    error: z.strictObject({
      type: z.enum(ERROR_TYPES),
      code: z.string().meta({ description: 'What went wrong, for programs: each operation lists the codes it may answer.', examples: ['card_declined'] }),
      message: z.string().meta({ description: "For people: in the API's words, never echoing card data." }),
      param: z.string().optional().meta({ description: 'The request field at fault (dotted: `card.number`).' }),
      decline_code: z.string().optional().meta({ description: "The issuer's reason, on `card_error`s." }),
      payment_id: PaymentId.optional().meta({ description: 'The payment a decline made (status `failed`).' }),
      request_id: id('request').meta({ description: "The answer's `X-Request-Id`: quote it to support." }),
      doc_url: z.url().optional().meta({ description: "Where the gateway's reference explains this code: `<gateway>/docs/errors#<code>`." }),
    }),
  })
  .meta({ id: 'Error', description: 'Every error, from every endpoint, has this shape.' });

// The views build exactly what the schemas say: each entry fails the typecheck when they part ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type List<V> = ReturnType<typeof listView<unknown, V>>;
export type ViewsMatchAnswers = [
  Same<ReturnType<typeof paymentView>, z.output<typeof PaymentAnswer>>,
  Same<ReturnType<typeof transactionView>, z.output<typeof TransactionAnswer>>,
  Same<ReturnType<typeof intentView>, z.output<typeof PaymentIntentAnswer>>,
  Same<ReturnType<typeof publicIntentView>, z.output<typeof PublicPaymentIntentAnswer>>,
  Same<ReturnType<typeof deliveryView>, z.output<typeof WebhookDeliveryAnswer>>,
  Same<Omit<ReturnType<typeof webhookEndpointView>, 'secret'>, Omit<z.output<typeof WebhookEndpointAnswer>, 'secret'>>,
  Same<List<ReturnType<typeof transactionView>>, z.output<typeof TransactionListAnswer>>,
  Same<List<ReturnType<typeof paymentView>>, z.output<typeof PaymentListAnswer>>,
  Same<ReturnType<typeof fraudSettingsView>, z.output<typeof FraudSettingsAnswer>>,
  Same<ReturnType<typeof blockListEntryView>, z.output<typeof BlockListEntryAnswer>>,
  Same<List<ReturnType<typeof blockListEntryView>>, z.output<typeof BlockListAnswer>>,
] extends true[]
  ? true
  : never;
export const viewsMatchAnswers: ViewsMatchAnswers = true;
