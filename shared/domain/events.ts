/** Events: every change a merchant must hear of, written in the same commit as the change. */
export const EVENT_TYPES = [
  'payment.authorized',
  'payment.captured',
  'payment.voided',
  'payment.refunded',
  'payment.failed',
  'payment.expired',
  'payment.review_required',
  'payment_intent.created',
  'payment_intent.succeeded',
  'payment_intent.canceled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface PaygateEvent {
  id: string;
  merchantId: string;
  type: EventType;
  createdAt: string;
  /** The object's version after the change (1 when created); absent on events stored before it was kept. */
  objectVersion?: number;
  /** The object as GET returns it at the time of the event, serialized once so every delivery sends the same bytes. */
  objectJson: string;
}

/** The body delivered and returned by GET /api/v1/events/{id}: exactly these bytes on every retry. */
export function eventBody(event: PaygateEvent): string {
  const version = event.objectVersion === undefined ? '' : `,"object_version":${String(event.objectVersion)}`;
  return `{"id":${JSON.stringify(event.id)},"object":"event","type":${JSON.stringify(event.type)},"created_at":${JSON.stringify(
    event.createdAt,
  )}${version},"data":{"object":${event.objectJson}}}`;
}

/**
 * Work that must run at a time of its own, kept in the store until done (an at-least-once outbox).
 * Dispatching an event and expiring an authorization are due records of the event and the payment
 * themselves (`id` = `ref`); a webhook delivery's next attempt is a work item of its own.
 */
export type WorkKind = 'dispatch_event' | 'deliver_webhook' | 'expire_authorization';

export interface DueWork {
  id: string;
  kind: WorkKind;
  /** The id of what the work is about: an event, a delivery, a payment. */
  ref: string;
  merchantId: string;
  runAt: string;
}
