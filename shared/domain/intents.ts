import type { Currency } from './money.ts';

export const INTENT_STATUSES = ['created', 'succeeded', 'canceled', 'expired', 'failed'] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];
export type CaptureMethod = 'automatic' | 'manual';
export const MAX_INTENT_ATTEMPTS = 5;

export interface PaymentError {
  code: string;
  decline_code: string | null;
  message: string;
}

/** A hosted-checkout session: the merchant creates it, the customer pays it in the browser. */
export interface PaymentIntent {
  id: string;
  merchantId: string;
  status: IntentStatus;
  amount: number;
  currency: Currency;
  successUrl: string;
  cancelUrl: string;
  orderId: string | null;
  description: string | null;
  captureMethod: CaptureMethod;
  customerEmail: string | null;
  metadata: Record<string, string>;
  paymentId: string | null;
  /** Every payment the intent made, in order (at most `maxAttempts`): what lists them. Absent on intents stored before it was kept. */
  paymentIds?: string[];
  attempts: number;
  maxAttempts: number;
  lastPaymentError: PaymentError | null;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  /** A confirmation in flight holds the intent until then, so concurrent confirms make one payment. */
  confirmingUntil: string | null;
  version: number;
}

/** An intent not paid by `expires_at` is expired, whether or not anything wrote it so. */
export function effectiveIntentStatus(intent: PaymentIntent, now: Date): IntentStatus {
  return intent.status === 'created' && now.getTime() >= Date.parse(intent.expiresAt) ? 'expired' : intent.status;
}

/** `success_url` with `{CHECKOUT_SESSION_ID}` replaced by the intent id and `payment_intent=<id>` added. */
export function redirectUrlFor(intent: PaymentIntent): string {
  const url = new URL(intent.successUrl.split('{CHECKOUT_SESSION_ID}').join(intent.id));
  url.searchParams.set('payment_intent', intent.id);
  return url.toString();
}
