import { eventBody, type EventType, type PaygateEvent } from './events.ts';
import { fraudAssessmentView, type BlockListEntry, type FraudThresholds } from './fraud.ts';
import type { Payment, Transaction } from './payment.ts';
import { effectiveIntentStatus, type PaymentIntent } from './intents.ts';
import type { WebhookDelivery, WebhookEndpoint } from './webhooks.ts';

/** The payment as the API shows it (snake_case, no merchant id, no version). */
export function paymentView(p: Payment) {
  return {
    id: p.id,
    object: 'payment' as const,
    status: p.status,
    amount: p.amount,
    currency: p.currency,
    amount_capturable: p.amountCapturable,
    amount_captured: p.amountCaptured,
    amount_refunded: p.amountRefunded,
    card: {
      token: p.card.token,
      brand: p.card.brand,
      last4: p.card.last4,
      exp_month: p.card.expMonth,
      exp_year: p.card.expYear,
      fingerprint: p.card.fingerprint,
      holder_name: p.card.holderName,
    },
    customer: p.customer,
    description: p.description,
    metadata: p.metadata,
    fraud: fraudAssessmentView(p.fraud),
    response_code: p.responseCode,
    decline_code: p.declineCode,
    authorization_code: p.authorizationCode,
    payment_intent_id: p.paymentIntentId,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    authorized_at: p.authorizedAt,
    captured_at: p.capturedAt,
    voided_at: p.voidedAt,
    expires_at: p.expiresAt,
  };
}
export type PaymentView = ReturnType<typeof paymentView>;

export function transactionView(t: Transaction) {
  return {
    id: t.id,
    object: 'transaction' as const,
    payment_id: t.paymentId,
    type: t.type,
    status: t.status,
    amount: t.amount,
    currency: t.currency,
    reason: t.reason,
    response_code: t.responseCode,
    decline_code: t.declineCode,
    created_at: t.createdAt,
  };
}
export type TransactionView = ReturnType<typeof transactionView>;

export function eventView(event: PaygateEvent): unknown {
  return JSON.parse(eventBody(event));
}

/** The secret is shown only when it is created (or rotated), never on reads. */
export function webhookEndpointView(endpoint: WebhookEndpoint, secret?: string) {
  // No events stored means every type, including types added later.
  const events: Array<EventType | '*'> = endpoint.events.length ? endpoint.events : ['*'];
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    url: endpoint.url,
    events,
    created_at: endpoint.createdAt,
    ...(secret === undefined ? {} : { secret }),
  };
}

export function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    object: 'webhook_delivery' as const,
    event_id: d.eventId,
    event_type: d.eventType,
    endpoint_id: d.endpointId,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_attempt_at: d.lastAttemptAt,
    next_attempt_at: d.nextAttemptAt,
    created_at: d.createdAt,
  };
}

/** The list shape every list endpoint answers. */
export function listView<T, V>(page: { items: T[]; hasMore: boolean }, query: { limit: number; offset: number }, view: (item: T) => V) {
  return { object: 'list' as const, data: page.items.map(view), limit: query.limit, offset: query.offset, has_more: page.hasMore };
}

/**
 * The whole intent, for the merchant (API key). Events carry it without the client secret
 * (`null`): events are stored, and a client secret is never stored in clear.
 */
export function intentView(intent: PaymentIntent, now: Date, clientSecret: string | null, publicUrl: string) {
  return {
    id: intent.id,
    object: 'payment_intent' as const,
    status: effectiveIntentStatus(intent, now),
    amount: intent.amount,
    currency: intent.currency,
    client_secret: clientSecret,
    checkout_url: clientSecret === null ? null : `${publicUrl}/checkout/${intent.id}?client_secret=${encodeURIComponent(clientSecret)}`,
    success_url: intent.successUrl,
    cancel_url: intent.cancelUrl,
    order_id: intent.orderId,
    description: intent.description,
    capture_method: intent.captureMethod,
    customer_email: intent.customerEmail,
    metadata: intent.metadata,
    payment_id: intent.paymentId,
    attempts: intent.attempts,
    max_attempts: intent.maxAttempts,
    last_payment_error: intent.lastPaymentError,
    expires_at: intent.expiresAt,
    created_at: intent.createdAt,
  };
}

/** Only what a checkout page shows: no secret, no metadata, no URLs. */
export function publicIntentView(intent: PaymentIntent, now: Date, merchantName: string) {
  return {
    id: intent.id,
    object: 'payment_intent' as const,
    status: effectiveIntentStatus(intent, now),
    amount: intent.amount,
    currency: intent.currency,
    description: intent.description,
    merchant_name: merchantName,
    customer_email: intent.customerEmail,
    expires_at: intent.expiresAt,
  };
}

export function fraudSettingsView(thresholds: FraudThresholds) {
  return { object: 'fraud_settings' as const, review_above: thresholds.reviewAbove, decline_above: thresholds.declineAbove };
}

export function blockListEntryView(entry: BlockListEntry) {
  return { id: entry.id, object: 'block_list_entry' as const, type: entry.type, value: entry.value, created_at: entry.createdAt };
}
