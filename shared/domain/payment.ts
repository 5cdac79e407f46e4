import type { CardSummary } from './cards.ts';
import { errors } from './errors.ts';
import type { FraudAssessment } from './fraud.ts';
import type { Currency } from './money.ts';

export const PAYMENT_STATUSES = ['authorized', 'captured', 'partially_refunded', 'refunded', 'voided', 'failed', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Customer {
  email: string | null;
  name: string | null;
  phone: string | null;
}

/** A payment as the store keeps it. `version` grows by one with every committed change. */
export interface Payment {
  id: string;
  merchantId: string;
  status: PaymentStatus;
  amount: number;
  currency: Currency;
  amountCapturable: number;
  amountCaptured: number;
  amountRefunded: number;
  card: CardSummary;
  customer: Customer | null;
  description: string | null;
  metadata: Record<string, string>;
  fraud: FraudAssessment;
  responseCode: string;
  declineCode: string | null;
  authorizationCode: string | null;
  paymentIntentId: string | null;
  createdAt: string;
  updatedAt: string;
  authorizedAt: string | null;
  capturedAt: string | null;
  voidedAt: string | null;
  expiresAt: string | null;
  version: number;
}

export const TRANSACTION_TYPES = ['authorize', 'sale', 'capture', 'void', 'refund', 'expire'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];
export type TransactionStatus = 'authorized' | 'captured' | 'voided' | 'refunded' | 'failed' | 'expired';
export const TRANSACTION_STATUSES: readonly TransactionStatus[] = [
  'authorized',
  'captured',
  'voided',
  'refunded',
  'failed',
  'expired',
];

export interface Transaction {
  id: string;
  merchantId: string;
  paymentId: string;
  type: TransactionType;
  status: TransactionStatus;
  amount: number;
  currency: Currency;
  reason: string | null;
  responseCode: string | null;
  declineCode: string | null;
  createdAt: string;
}

/**
 * What the store must find for a change to commit: the state machine's precondition, checked by
 * the database in the same write, so that concurrent requests are settled there and not by a read.
 */
export interface PaymentPrecondition {
  expectedVersion: number;
  statusIn: readonly PaymentStatus[];
  /** Refunds: the refunded total before this change may be at most this. */
  amountRefundedAtMost?: number;
}

/** The result of a decision: the payment's next state and the transaction recording it. */
export interface PaymentTransition {
  next: Payment;
  transaction: Omit<Transaction, 'id'>;
  precondition: PaymentPrecondition;
}

/** The domain's own guard: amounts are positive integers whatever the caller validated. */
function requirePositiveAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 1) throw errors.invalidAmount('The amount must be a positive integer in minor units.');
}

/** An authorization past its expiry is treated as expired, whether or not the sweeper has run. */
export function isAuthorizationExpired(payment: Payment, now: Date): boolean {
  if (payment.status === 'expired') return true;
  return payment.status === 'authorized' && payment.expiresAt !== null && now.getTime() >= Date.parse(payment.expiresAt);
}

function transactionFor(
  payment: Payment,
  type: TransactionType,
  status: TransactionStatus,
  amount: number,
  at: string,
  reason: string | null = null,
): Omit<Transaction, 'id'> {
  return {
    merchantId: payment.merchantId,
    paymentId: payment.id,
    type,
    status,
    amount,
    currency: payment.currency,
    reason,
    responseCode: null,
    declineCode: null,
    createdAt: at,
  };
}

/** Capture: once per authorization, any amount up to what is capturable; the rest is released. */
export function decideCapture(payment: Payment, requested: number | undefined, now: Date): PaymentTransition {
  switch (payment.status) {
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      throw errors.alreadyCaptured();
    case 'expired':
      throw errors.authorizationExpired();
    case 'voided':
    case 'failed':
      throw errors.invalidState(`A payment in status ${payment.status} cannot be captured.`);
    case 'authorized':
      break;
  }
  if (isAuthorizationExpired(payment, now)) throw errors.authorizationExpired();
  const amount = requested ?? payment.amountCapturable;
  requirePositiveAmount(amount);
  if (amount > payment.amountCapturable) {
    throw errors.amountTooHigh(`The capture amount may be at most ${payment.amountCapturable}.`);
  }
  const at = now.toISOString();
  return {
    next: {
      ...payment,
      status: 'captured',
      amountCaptured: amount,
      amountCapturable: 0,
      capturedAt: at,
      updatedAt: at,
      version: payment.version + 1,
    },
    transaction: transactionFor(payment, 'capture', 'captured', amount, at),
    precondition: { expectedVersion: payment.version, statusIn: ['authorized'] },
  };
}

/** Void: releases an authorization that was never captured. */
export function decideVoid(payment: Payment, reason: string | null, now: Date): PaymentTransition {
  switch (payment.status) {
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      throw errors.alreadyCaptured();
    case 'voided':
      throw errors.alreadyVoided();
    case 'expired':
    case 'failed':
      throw errors.invalidState(`A payment in status ${payment.status} cannot be voided.`);
    case 'authorized':
      break;
  }
  if (isAuthorizationExpired(payment, now)) {
    throw errors.invalidState('The authorization has expired; there is nothing left to void.');
  }
  const at = now.toISOString();
  return {
    next: {
      ...payment,
      status: 'voided',
      amountCapturable: 0,
      voidedAt: at,
      updatedAt: at,
      version: payment.version + 1,
    },
    transaction: transactionFor(payment, 'void', 'voided', payment.amountCapturable, at, reason),
    precondition: { expectedVersion: payment.version, statusIn: ['authorized'] },
  };
}

/** Refund: any number of partial refunds whose sum never passes the captured amount. */
export function decideRefund(
  payment: Payment,
  requested: number | undefined,
  reason: string | null,
  now: Date,
): PaymentTransition {
  switch (payment.status) {
    case 'refunded':
      throw errors.alreadyRefunded();
    case 'authorized':
    case 'voided':
    case 'failed':
    case 'expired':
      throw errors.notCaptured();
    case 'captured':
    case 'partially_refunded':
      break;
  }
  const remaining = payment.amountCaptured - payment.amountRefunded;
  if (remaining <= 0) throw errors.alreadyRefunded();
  const amount = requested ?? remaining;
  requirePositiveAmount(amount);
  if (amount > remaining) {
    throw errors.amountTooHigh(`The refund amount may be at most ${remaining}, the captured amount not yet refunded.`);
  }
  const refunded = payment.amountRefunded + amount;
  const at = now.toISOString();
  return {
    next: {
      ...payment,
      status: refunded === payment.amountCaptured ? 'refunded' : 'partially_refunded',
      amountRefunded: refunded,
      updatedAt: at,
      version: payment.version + 1,
    },
    transaction: transactionFor(payment, 'refund', 'refunded', amount, at, reason),
    precondition: {
      expectedVersion: payment.version,
      statusIn: ['captured', 'partially_refunded'],
      amountRefundedAtMost: payment.amountCaptured - amount,
    },
  };
}

/** Expiry: an uncaptured authorization past `expires_at` becomes `expired`; anything else is left alone. */
/** `early`: the test helper's expiry, now, as the job would do it at `expires_at` (API.md, "Test helpers"). */
export function decideExpiry(payment: Payment, now: Date, options: { early?: boolean } = {}): PaymentTransition | null {
  if (payment.status !== 'authorized' || (!options.early && !isAuthorizationExpired(payment, now))) return null;
  const at = now.toISOString();
  return {
    next: { ...payment, status: 'expired', amountCapturable: 0, updatedAt: at, version: payment.version + 1 },
    transaction: transactionFor(payment, 'expire', 'expired', payment.amountCapturable, at),
    precondition: { expectedVersion: payment.version, statusIn: ['authorized'] },
  };
}
