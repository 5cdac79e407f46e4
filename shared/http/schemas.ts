/**
 * Request schemas: the single source of request types and validation (and, later, of OpenAPI).
 * They check shape; the card's own rules (Luhn, brand length, expiry against the clock) are domain
 * rules in shared/domain/cards.ts.
 */
import * as z from 'zod';
import { PAYMENT_STATUSES, TRANSACTION_STATUSES } from '../domain/payment.ts';
import { MAX_AMOUNT, MIN_AMOUNT, SUPPORTED_CURRENCIES } from '../domain/money.ts';
import { idPattern } from '../domain/ids.ts';
import { containsCardNumber } from '../domain/cards.ts';
import { EVENT_TYPES } from '../domain/events.ts';
import { DELIVERY_STATUSES, isAllowedCallbackUrl } from '../domain/webhooks.ts';

const NO_CARD = { message: 'must not contain a card number' };
const noCardNumber = (text: string) => !containsCardNumber(text);

/** Free text that is stored and shown back: never a card number (refused, so it is never kept). */
const FreeText = (max: number) => z.string().trim().max(max).refine(noCardNumber, NO_CARD);

/** E-mail addresses are stored and shown back too. */
const Email = z.email().max(254).refine(noCardNumber, NO_CARD);

export const Amount = z.number().int().min(MIN_AMOUNT).max(MAX_AMOUNT);

export const CurrencyCode = z
  .string()
  .length(3)
  .transform((c) => c.toUpperCase())
  .pipe(z.enum(SUPPORTED_CURRENCIES));

export const CardBody = z
  .strictObject({
    number: z.string().max(40).regex(/^[\d\s-]+$/),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int().min(2000).max(2100),
    cvv: z.string().regex(/^\d{3,4}$/),
    holder_name: FreeText(200).pipe(z.string().min(1)).optional(),
    cardholder_name: FreeText(200).pipe(z.string().min(1)).optional(),
  })
  .transform(({ number, exp_month, exp_year, cvv, holder_name, cardholder_name }) => ({
    number,
    expMonth: exp_month,
    expYear: exp_year,
    cvv,
    holderName: holder_name ?? cardholder_name,
  }));

export const CustomerBody = z
  .strictObject({
    email: Email.optional(),
    name: FreeText(200).optional(),
    phone: FreeText(40).optional(),
    /** The shopper's IP address, which a server call may pass for the fraud rules; not stored with the payment. */
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  })
  .transform((c) => ({ email: c.email ?? null, name: c.name ?? null, phone: c.phone ?? null, ip: c.ip ?? null }));

export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => !Object.entries(m).some(([k, v]) => containsCardNumber(k) || containsCardNumber(v)), {
    message: 'must not contain a card number',
  })
  .refine((m) => Object.keys(m).length <= 50, { message: 'metadata may have at most 50 keys' });

export const Description = FreeText(1000);
export const Reason = FreeText(500);

export const NewPaymentBody = z.strictObject({
  amount: Amount,
  currency: CurrencyCode,
  card: CardBody,
  customer: CustomerBody.optional(),
  description: Description.optional(),
  metadata: Metadata.optional(),
});

export const CaptureBody = z.strictObject({ amount: Amount.optional() });
export const VoidBody = z.strictObject({ reason: Reason.optional() });
export const RefundBody = z.strictObject({ amount: Amount.optional(), reason: Reason.optional() });

export const PaymentIdParams = z.object({ id: z.string().regex(idPattern('payment')) });
export const TransactionIdParams = z.object({ id: z.string().regex(idPattern('transaction')) });

/** Offsets are read through in DynamoDB, so they are bounded. */
export const MAX_LIST_OFFSET = 10_000;

const Paging = {
  limit: z.coerce.number().int().min(1).max(100).default(10),
  offset: z.coerce.number().int().min(0).max(MAX_LIST_OFFSET).default(0),
};


/** https, or http on localhost/127.0.0.1 for testing (API.md). */
export const CallbackUrl = z
  .string()
  .max(2048)
  .refine(isAllowedCallbackUrl, { message: 'must be an https URL (http only for localhost and 127.0.0.1)' })
  .refine(noCardNumber, NO_CARD);

export const CreateWebhookEndpointBody = z.strictObject({
  url: CallbackUrl,
  /** `['*']` (or no `events`) means every event type, including types added later. */
  events: z
    .array(z.enum([...EVENT_TYPES, '*']))
    .min(1)
    .max(EVENT_TYPES.length + 1)
    .optional()
    .transform((events) => (events === undefined || events.includes('*') ? [] : events.filter((e) => e !== '*'))),
});

const idParam = (kind: Parameters<typeof idPattern>[0]) => z.object({ id: z.string().regex(idPattern(kind)) });
export const WebhookEndpointIdParams = idParam('webhookEndpoint');
export const DeliveryIdParams = idParam('webhookDelivery');
export const EventIdParams = idParam('event');

/**
 * A bound of a list's creation range: an ISO-8601 time with its offset (`Z` or `+01:00`), kept as
 * UTC. Times are stored to the millisecond, so a finer bound is rounded up to the next one: what
 * is at or after (before) it is then exactly what is at or after (before) the rounded bound.
 */
const CreatedBound = z.iso.datetime({ offset: true }).transform((time) => {
  const finerThanMs = /[1-9]/.test(/\.\d{3}(\d*)/.exec(time)?.[1] ?? '');
  return new Date(Date.parse(time) + (finerThanMs ? 1 : 0)).toISOString();
});

/**
 * API.md, "Lists": what every list takes, the objects of the list being of `kind`: how many, a page
 * after or before one of them by its id (one cursor at a time, and not with an offset), and a
 * creation range (`created[gte]`, `created[lt]`).
 */
const listOf = (kind: Parameters<typeof idPattern>[0]) => ({
  ...Paging,
  starting_after: z.string().regex(idPattern(kind)).optional(),
  ending_before: z.string().regex(idPattern(kind)).optional(),
  'created[gte]': CreatedBound.optional(),
  'created[lt]': CreatedBound.optional(),
});

interface ListParams {
  limit: number;
  offset: number;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
  'created[gte]'?: string | undefined;
  'created[lt]'?: string | undefined;
}

function oneWayToPage(query: ListParams, ctx: z.RefinementCtx): void {
  if (query.starting_after !== undefined && query.ending_before !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['ending_before'], message: 'give starting_after or ending_before, not both' });
  } else if ((query.starting_after !== undefined || query.ending_before !== undefined) && query.offset > 0) {
    ctx.addIssue({ code: 'custom', path: ['offset'], message: 'offset cannot be combined with a cursor' });
  }
}

/** A list query's paging and range, in the commands' words. */
export function listRequest(query: ListParams) {
  return {
    limit: query.limit,
    offset: query.offset,
    startingAfter: query.starting_after,
    endingBefore: query.ending_before,
    createdGte: query['created[gte]'],
    createdLt: query['created[lt]'],
  };
}

export const ListTransactionsQuery = z.strictObject({ status: z.enum(TRANSACTION_STATUSES).optional(), ...listOf('transaction') }).superRefine(oneWayToPage);

export const ListEventsQuery = z.strictObject({ type: z.enum(EVENT_TYPES).optional(), ...listOf('event') }).superRefine(oneWayToPage);

export const ListDeliveriesQuery = z
  .strictObject({
    event_id: z.string().regex(idPattern('event')).optional(),
    endpoint_id: z.string().regex(idPattern('webhookEndpoint')).optional(),
    status: z.enum(DELIVERY_STATUSES).optional(),
    ...listOf('webhookDelivery'),
  })
  .superRefine(oneWayToPage);

/** `status` and `customer_email` each key a list of their own; together only within an intent's payments, which `payment_intent` bounds. */
export const ListPaymentsQuery = z
  .strictObject({
    status: z.enum(PAYMENT_STATUSES).optional(),
    customer_email: Email.optional(),
    payment_intent: z.string().regex(idPattern('paymentIntent')).optional(),
    ...listOf('payment'),
  })
  .superRefine((query, ctx) => {
    oneWayToPage(query, ctx);
    if (query.status !== undefined && query.customer_email !== undefined && query.payment_intent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['customer_email'], message: 'customer_email cannot be combined with status (list one, or add payment_intent)' });
    }
  });

export const ListPaymentIntentsQuery = z.strictObject(listOf('paymentIntent')).superRefine(oneWayToPage);

export const CreatePaymentIntentBody = z.strictObject({
  amount: Amount,
  currency: CurrencyCode,
  success_url: CallbackUrl,
  cancel_url: CallbackUrl.optional(),
  order_id: FreeText(200).pipe(z.string().min(1)).optional(),
  description: Description.optional(),
  capture_method: z.enum(['automatic', 'manual']).default('automatic'),
  customer_email: Email.optional(),
  metadata: Metadata.optional(),
});

export const PaymentIntentIdParams = idParam('paymentIntent');

export const ConfirmPaymentIntentBody = z.strictObject({
  client_secret: z.string().max(200).optional(),
  card: CardBody,
  customer_email: Email.optional(),
});

export const PublicIntentQuery = z.strictObject({ client_secret: z.string().max(200).optional() });

export const CreateMerchantBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export const MerchantIdParams = z.object({ id: z.string().regex(idPattern('merchant')) });
export const ApiKeyParams = z.object({ id: z.string().regex(idPattern('merchant')), key_id: z.string().regex(idPattern('apiKey')) });

const Threshold = z.number().int().min(0).max(100);
export const UpdateFraudSettingsBody = z
  .strictObject({ review_above: Threshold.optional(), decline_above: Threshold.optional() })
  .refine((b) => b.review_above !== undefined || b.decline_above !== undefined, { message: 'give review_above, decline_above or both' });

/** A card fingerprint as payments show it (`card.fingerprint`). */
const CardFingerprint = z.string().regex(/^[A-Za-z0-9_-]{22}$/, { message: 'must be a card fingerprint as payments show it (card.fingerprint)' });
export const CreateBlockListEntryBody = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('card_fingerprint'), value: CardFingerprint }),
  z.strictObject({ type: z.literal('email'), value: Email }),
  z.strictObject({ type: z.literal('ip'), value: z.union([z.ipv4(), z.ipv6()]) }),
]);
export const BlockListEntryIdParams = idParam('blockListEntry');
export const ListBlockListQuery = z.strictObject(listOf('blockListEntry')).superRefine(oneWayToPage);
