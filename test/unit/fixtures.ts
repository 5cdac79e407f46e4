/** Shared fixtures of the unit tests: a payment in each status, and a way to inspect a thrown ApiError. */
import { ApiError } from '../../shared/domain/errors.ts';
import type { Payment, PaymentStatus } from '../../shared/domain/payment.ts';

/** Runs `action` and returns the ApiError it threw; fails the test if it threw nothing or something else. */
export function apiErrorFrom(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw new Error(`expected an ApiError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an ApiError, but nothing was thrown');
}

export const AUTHORIZED_AT = '2026-11-24T10:00:00.000Z';
export const EXPIRES_AT = '2026-12-01T10:00:00.000Z';
/** A moment after authorization and before its expiry. */
export const BEFORE_EXPIRY = new Date('2026-11-25T12:00:00.000Z');

const AMOUNT = 10_000;

const base: Payment = {
  id: 'pay_0123456789ABCDEFGHIJabcd',
  merchantId: 'mch_0123456789ABCDEFGHIJabcd',
  status: 'authorized',
  amount: AMOUNT,
  currency: 'EUR',
  amountCapturable: AMOUNT,
  amountCaptured: 0,
  amountRefunded: 0,
  card: {
    token: 'tok_0123456789ABCDEFGHIJabcd',
    brand: 'visa',
    last4: '4242',
    expMonth: 12,
    expYear: 2030,
    fingerprint: 'fp_abcdefghijklmnopqrstu',
    holderName: null,
  },
  customer: null,
  description: null,
  metadata: {},
  fraud: { score: 0, decision: 'approve', rules: [] },
  responseCode: '00',
  declineCode: null,
  authorizationCode: 'A1B2C3',
  paymentIntentId: null,
  createdAt: AUTHORIZED_AT,
  updatedAt: AUTHORIZED_AT,
  authorizedAt: AUTHORIZED_AT,
  capturedAt: null,
  voidedAt: null,
  expiresAt: EXPIRES_AT,
  version: 3,
};

const CAPTURED_AT = '2026-11-24T11:00:00.000Z';

const byStatus: Record<PaymentStatus, Payment> = {
  authorized: base,
  captured: { ...base, status: 'captured', amountCapturable: 0, amountCaptured: AMOUNT, capturedAt: CAPTURED_AT },
  partially_refunded: {
    ...base,
    status: 'partially_refunded',
    amountCapturable: 0,
    amountCaptured: AMOUNT,
    amountRefunded: 4_000,
    capturedAt: CAPTURED_AT,
  },
  refunded: {
    ...base,
    status: 'refunded',
    amountCapturable: 0,
    amountCaptured: AMOUNT,
    amountRefunded: AMOUNT,
    capturedAt: CAPTURED_AT,
  },
  voided: { ...base, status: 'voided', amountCapturable: 0, voidedAt: '2026-11-24T11:00:00.000Z' },
  failed: {
    ...base,
    status: 'failed',
    amountCapturable: 0,
    responseCode: '05',
    declineCode: 'do_not_honor',
    authorizationCode: null,
    authorizedAt: null,
    expiresAt: null,
  },
  expired: { ...base, status: 'expired', amountCapturable: 0 },
};

export const ALL_STATUSES = Object.keys(byStatus) as PaymentStatus[];

/** A fresh copy of a consistent payment in the given status (amount 10000 EUR, version 3). */
export function paymentIn(status: PaymentStatus, overrides: Partial<Payment> = {}): Payment {
  return structuredClone({ ...byStatus[status], ...overrides });
}
