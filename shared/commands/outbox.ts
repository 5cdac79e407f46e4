import type { DueWork, EventType, PaygateEvent, WorkKind } from '../domain/events.ts';
import type { TransactionStatus } from '../domain/payment.ts';
import type { Dependencies } from '../dependencies.ts';

/** Each payment transaction status has exactly one event type. */
export const PAYMENT_EVENT_BY_STATUS: Record<TransactionStatus, EventType> = {
  authorized: 'payment.authorized',
  captured: 'payment.captured',
  voided: 'payment.voided',
  refunded: 'payment.refunded',
  failed: 'payment.failed',
  expired: 'payment.expired',
};

export function dueWork(deps: Dependencies, kind: WorkKind, ref: string, merchantId: string, runAt: Date): DueWork {
  return { id: deps.ids.next('work'), kind, ref, merchantId, runAt: runAt.toISOString() };
}

/**
 * The event reporting a change, and the work that dispatches it to the merchant's endpoints.
 * Both go into the change's own commit: that is the transactional outbox.
 */
export function announce(
  deps: Dependencies,
  merchantId: string,
  type: EventType,
  object: unknown,
  at: Date,
): { event: PaygateEvent; work: DueWork } {
  const event: PaygateEvent = {
    id: deps.ids.next('event'),
    merchantId,
    type,
    createdAt: at.toISOString(),
    objectJson: JSON.stringify(object),
  };
  return { event, work: dueWork(deps, 'dispatch_event', event.id, merchantId, at) };
}
