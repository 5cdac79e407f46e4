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
 * The event reporting a change. It goes into the change's own commit, and is itself the outbox
 * record: the store keeps it due for dispatch to the merchant's endpoints until that has run.
 * `objectVersion` is the object's version after the change (1 when created), so a receiver can
 * drop an event older than one it has applied.
 */
export function announce(deps: Dependencies, merchantId: string, type: EventType, object: unknown, objectVersion: number, at: Date): PaygateEvent {
  return { id: deps.ids.next('event'), merchantId, type, createdAt: at.toISOString(), objectVersion, objectJson: JSON.stringify(object) };
}
