import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/domain/errors.ts';
import {
  decideCapture,
  decideExpiry,
  decideRefund,
  decideVoid,
  isAuthorizationExpired,
  type Payment,
  type PaymentStatus,
} from '../../shared/domain/payment.ts';
import { ALL_STATUSES, BEFORE_EXPIRY, EXPIRES_AT, apiErrorFrom, paymentIn } from './fixtures.ts';

const NOW = BEFORE_EXPIRY;
const AT = NOW.toISOString();
const AT_EXPIRY = new Date(EXPIRES_AT);
const JUST_BEFORE_EXPIRY = new Date(AT_EXPIRY.getTime() - 1);

type Operation = 'capture' | 'void' | 'refund';

function run(operation: Operation, payment: Payment, now: Date = NOW) {
  switch (operation) {
    case 'capture':
      return decideCapture(payment, undefined, now);
    case 'void':
      return decideVoid(payment, null, now);
    case 'refund':
      return decideRefund(payment, undefined, null, now);
  }
}

/** Every status x operation pair, and what the contract says it answers. */
const MATRIX: ReadonlyArray<[PaymentStatus, Operation, 'ok' | [number, string]]> = [
  ['authorized', 'capture', 'ok'],
  ['captured', 'capture', [400, 'already_captured']],
  ['partially_refunded', 'capture', [400, 'already_captured']],
  ['refunded', 'capture', [400, 'already_captured']],
  ['voided', 'capture', [409, 'invalid_state']],
  ['failed', 'capture', [409, 'invalid_state']],
  ['expired', 'capture', [400, 'authorization_expired']],

  ['authorized', 'void', 'ok'],
  ['captured', 'void', [400, 'already_captured']],
  ['partially_refunded', 'void', [400, 'already_captured']],
  ['refunded', 'void', [400, 'already_captured']],
  ['voided', 'void', [400, 'already_voided']],
  ['failed', 'void', [409, 'invalid_state']],
  ['expired', 'void', [409, 'invalid_state']],

  ['authorized', 'refund', [400, 'not_captured']],
  ['captured', 'refund', 'ok'],
  ['partially_refunded', 'refund', 'ok'],
  ['refunded', 'refund', [400, 'already_refunded']],
  ['voided', 'refund', [400, 'not_captured']],
  ['failed', 'refund', [400, 'not_captured']],
  ['expired', 'refund', [400, 'not_captured']],
];

describe('the payment state machine, status by operation', () => {
  it('covers every status with every operation', () => {
    for (const status of ALL_STATUSES) {
      for (const operation of ['capture', 'void', 'refund'] as const) {
        expect(MATRIX.some(([s, o]) => s === status && o === operation), `${operation} of ${status}`).toBe(true);
      }
    }
  });

  const refused = MATRIX.flatMap(([status, operation, outcome]) =>
    outcome === 'ok' ? [] : [[operation, status, outcome[0], outcome[1]] as const],
  );
  const allowed = MATRIX.flatMap(([status, operation, outcome]) => (outcome === 'ok' ? [[operation, status] as const] : []));

  it.each(refused)('refuses to %s a payment in status %s with %i %s', (operation, status, httpStatus, code) => {
    const payment = paymentIn(status);
    const error = apiErrorFrom(() => run(operation, payment));
    expect(error.status).toBe(httpStatus);
    expect(error.code).toBe(code);
    expect(error.type).toBe('invalid_request_error');
  });

  it.each(allowed)('lets %s run on a payment in status %s, without changing the payment it was given', (operation, status) => {
    const payment = paymentIn(status);
    const before = structuredClone(payment);
    const transition = run(operation, payment);
    expect(transition.next.version).toBe(payment.version + 1);
    expect(transition.precondition.expectedVersion).toBe(payment.version);
    expect(transition.precondition.statusIn).toContain(status);
    expect(payment).toEqual(before);
  });
});

describe('decideCapture', () => {
  it('captures the whole capturable amount by default', () => {
    const payment = paymentIn('authorized');
    const { next, transaction, precondition } = decideCapture(payment, undefined, NOW);
    expect(next).toEqual({
      ...payment,
      status: 'captured',
      amountCaptured: 10_000,
      amountCapturable: 0,
      capturedAt: AT,
      updatedAt: AT,
      version: 4,
    });
    expect(transaction).toEqual({
      merchantId: payment.merchantId,
      paymentId: payment.id,
      type: 'capture',
      status: 'captured',
      amount: 10_000,
      currency: 'EUR',
      reason: null,
      responseCode: null,
      declineCode: null,
      createdAt: AT,
    });
    expect(precondition).toEqual({ expectedVersion: 3, statusIn: ['authorized'] });
  });

  it('captures part of the authorization and releases the rest', () => {
    const { next, transaction } = decideCapture(paymentIn('authorized'), 4_000, NOW);
    expect(next.status).toBe('captured');
    expect(next.amount).toBe(10_000);
    expect(next.amountCaptured).toBe(4_000);
    expect(next.amountCapturable).toBe(0);
    expect(transaction.amount).toBe(4_000);
  });

  it('allows a capture of exactly the capturable amount', () => {
    expect(decideCapture(paymentIn('authorized'), 10_000, NOW).next.amountCaptured).toBe(10_000);
  });

  it('refuses to capture more than is capturable with amount_too_high on amount', () => {
    const error = apiErrorFrom(() => decideCapture(paymentIn('authorized'), 10_001, NOW));
    expect(error.status).toBe(400);
    expect(error.code).toBe('amount_too_high');
    expect(error.details.param).toBe('amount');
    expect(error.message).toContain('10000');
  });

  it('answers authorization_expired for an authorized payment whose expiry has passed, before the sweeper ran', () => {
    const later = new Date('2026-12-05T00:00:00.000Z');
    expect(apiErrorFrom(() => decideCapture(paymentIn('authorized'), undefined, later)).code).toBe('authorization_expired');
  });

  it('treats the exact expiry instant as expired and the millisecond before as still capturable', () => {
    expect(apiErrorFrom(() => decideCapture(paymentIn('authorized'), undefined, AT_EXPIRY)).code).toBe('authorization_expired');
    expect(decideCapture(paymentIn('authorized'), undefined, JUST_BEFORE_EXPIRY).next.status).toBe('captured');
  });

  it('checks the expiry before the amount', () => {
    expect(apiErrorFrom(() => decideCapture(paymentIn('authorized'), 99_999, AT_EXPIRY)).code).toBe('authorization_expired');
  });

  it('uses the capturable amount, not the authorized amount, as the default and the limit', () => {
    const payment = paymentIn('authorized', { amountCapturable: 6_000 });
    expect(decideCapture(payment, undefined, NOW).next.amountCaptured).toBe(6_000);
    expect(apiErrorFrom(() => decideCapture(payment, 6_001, NOW)).code).toBe('amount_too_high');
  });
});

describe('decideVoid', () => {
  it('voids an authorization, releasing what was capturable, with the reason on the transaction', () => {
    const payment = paymentIn('authorized');
    const { next, transaction, precondition } = decideVoid(payment, 'customer changed their mind', NOW);
    expect(next).toEqual({ ...payment, status: 'voided', amountCapturable: 0, voidedAt: AT, updatedAt: AT, version: 4 });
    expect(transaction).toEqual({
      merchantId: payment.merchantId,
      paymentId: payment.id,
      type: 'void',
      status: 'voided',
      amount: 10_000,
      currency: 'EUR',
      reason: 'customer changed their mind',
      responseCode: null,
      declineCode: null,
      createdAt: AT,
    });
    expect(precondition).toEqual({ expectedVersion: 3, statusIn: ['authorized'] });
  });

  it('records a null reason when none is given', () => {
    expect(decideVoid(paymentIn('authorized'), null, NOW).transaction.reason).toBeNull();
  });

  it('answers 409 invalid_state for an authorized payment whose expiry has passed', () => {
    const error = apiErrorFrom(() => decideVoid(paymentIn('authorized'), null, AT_EXPIRY));
    expect(error.status).toBe(409);
    expect(error.code).toBe('invalid_state');
  });
});

describe('decideRefund', () => {
  it('refunds everything not yet refunded by default, and the payment becomes refunded', () => {
    const payment = paymentIn('captured');
    const { next, transaction, precondition } = decideRefund(payment, undefined, null, NOW);
    expect(next).toEqual({ ...payment, status: 'refunded', amountRefunded: 10_000, updatedAt: AT, version: 4 });
    expect(transaction).toEqual({
      merchantId: payment.merchantId,
      paymentId: payment.id,
      type: 'refund',
      status: 'refunded',
      amount: 10_000,
      currency: 'EUR',
      reason: null,
      responseCode: null,
      declineCode: null,
      createdAt: AT,
    });
    expect(precondition).toEqual({ expectedVersion: 3, statusIn: ['captured', 'partially_refunded'], amountRefundedAtMost: 0 });
  });

  it('refunds part of a captured payment, which becomes partially_refunded', () => {
    const { next, transaction, precondition } = decideRefund(paymentIn('captured'), 2_500, 'damaged', NOW);
    expect(next.status).toBe('partially_refunded');
    expect(next.amountRefunded).toBe(2_500);
    expect(next.amountCaptured).toBe(10_000);
    expect(transaction.amount).toBe(2_500);
    expect(transaction.reason).toBe('damaged');
    expect(precondition.amountRefundedAtMost).toBe(7_500);
  });

  it('stays partially_refunded with one unit left, and becomes refunded with the last unit', () => {
    const almost = decideRefund(paymentIn('captured'), 9_999, null, NOW).next;
    expect(almost.status).toBe('partially_refunded');
    const all = decideRefund(almost, 1, null, NOW).next;
    expect(all.status).toBe('refunded');
    expect(all.amountRefunded).toBe(10_000);
    expect(all.version).toBe(5);
  });

  it('refunds the remainder of a partially refunded payment by default', () => {
    const { next, transaction, precondition } = decideRefund(paymentIn('partially_refunded'), undefined, null, NOW);
    expect(transaction.amount).toBe(6_000);
    expect(next.amountRefunded).toBe(10_000);
    expect(next.status).toBe('refunded');
    expect(precondition.amountRefundedAtMost).toBe(4_000);
  });

  it('refunds only what was captured after a partial capture', () => {
    const captured = decideCapture(paymentIn('authorized'), 3_000, NOW).next;
    const { next, transaction } = decideRefund(captured, undefined, null, NOW);
    expect(transaction.amount).toBe(3_000);
    expect(next.status).toBe('refunded');
    expect(apiErrorFrom(() => decideRefund(captured, 3_001, null, NOW)).code).toBe('amount_too_high');
  });

  it('refuses to refund more than remains with amount_too_high on amount', () => {
    const error = apiErrorFrom(() => decideRefund(paymentIn('partially_refunded'), 6_001, null, NOW));
    expect(error.status).toBe(400);
    expect(error.code).toBe('amount_too_high');
    expect(error.details.param).toBe('amount');
    expect(error.message).toContain('6000');
  });

  it('answers already_refunded when nothing remains to refund, whatever the status says', () => {
    const inconsistent = paymentIn('captured', { amountRefunded: 10_000 });
    expect(apiErrorFrom(() => decideRefund(inconsistent, 1, null, NOW)).code).toBe('already_refunded');
  });

  it('still refunds a captured payment after its authorization expiry has passed', () => {
    const later = new Date('2027-01-01T00:00:00.000Z');
    expect(decideRefund(paymentIn('captured'), 100, null, later).next.amountRefunded).toBe(100);
  });

  it('never lets the refunded total pass the captured amount, and is refunded exactly when they meet', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1_000_000 })),
        fc.array(
          fc.oneof(
            { arbitrary: fc.integer({ min: 1, max: 10 }), weight: 4 },
            { arbitrary: fc.integer({ min: 1, max: 1_200_000 }), weight: 2 },
            { arbitrary: fc.constant(undefined), weight: 1 },
          ),
          { maxLength: 40 },
        ),
        (captured, requests) => {
          let payment = paymentIn('captured', { amount: captured, amountCaptured: captured });
          let applied = 0;
          for (const requested of requests) {
            let transition;
            try {
              transition = decideRefund(payment, requested, null, NOW);
            } catch (error) {
              expect(error).toBeInstanceOf(ApiError);
              expect(['amount_too_high', 'already_refunded']).toContain((error as ApiError).code);
              continue;
            }
            // The precondition the store checks holds for the state the decision was made on.
            expect(payment.amountRefunded).toBeLessThanOrEqual(transition.precondition.amountRefundedAtMost ?? -1);
            expect(transition.next.amountRefunded - payment.amountRefunded).toBe(transition.transaction.amount);
            payment = transition.next;
            applied++;
            expect(payment.amountRefunded).toBeLessThanOrEqual(payment.amountCaptured);
            expect(payment.status === 'refunded').toBe(payment.amountRefunded === payment.amountCaptured);
            expect(['partially_refunded', 'refunded']).toContain(payment.status);
          }
          expect(payment.version).toBe(3 + applied);
        },
      ),
    );
  });
});

describe('decideExpiry', () => {
  it('expires an authorization once its expiry has passed, releasing what was capturable', () => {
    const payment = paymentIn('authorized');
    const transition = decideExpiry(payment, AT_EXPIRY);
    const at = AT_EXPIRY.toISOString();
    expect(transition).not.toBeNull();
    expect(transition?.next).toEqual({ ...payment, status: 'expired', amountCapturable: 0, updatedAt: at, version: 4 });
    expect(transition?.transaction).toEqual({
      merchantId: payment.merchantId,
      paymentId: payment.id,
      type: 'expire',
      status: 'expired',
      amount: 10_000,
      currency: 'EUR',
      reason: null,
      responseCode: null,
      declineCode: null,
      createdAt: at,
    });
    expect(transition?.precondition).toEqual({ expectedVersion: 3, statusIn: ['authorized'] });
  });

  it('leaves an authorization alone until its expiry', () => {
    expect(decideExpiry(paymentIn('authorized'), JUST_BEFORE_EXPIRY)).toBeNull();
  });

  it.each(ALL_STATUSES.filter((s) => s !== 'authorized'))('leaves a payment in status %s alone, even long after the expiry', (status) => {
    expect(decideExpiry(paymentIn(status), new Date('2030-01-01T00:00:00.000Z'))).toBeNull();
  });
});

describe('isAuthorizationExpired', () => {
  it('is false for an authorization before its expiry and true from the expiry instant on', () => {
    const payment = paymentIn('authorized');
    expect(isAuthorizationExpired(payment, NOW)).toBe(false);
    expect(isAuthorizationExpired(payment, JUST_BEFORE_EXPIRY)).toBe(false);
    expect(isAuthorizationExpired(payment, AT_EXPIRY)).toBe(true);
    expect(isAuthorizationExpired(payment, new Date('2027-01-01T00:00:00.000Z'))).toBe(true);
  });

  it('is always true for an expired payment, even before its expiry date', () => {
    expect(isAuthorizationExpired(paymentIn('expired'), NOW)).toBe(true);
  });

  it('is false for an authorization without an expiry', () => {
    expect(isAuthorizationExpired(paymentIn('authorized', { expiresAt: null }), new Date('2099-01-01T00:00:00.000Z'))).toBe(false);
  });

  it.each(['captured', 'partially_refunded', 'refunded', 'voided', 'failed'] as const)(
    'is false for a payment in status %s past the expiry date',
    (status) => {
      expect(isAuthorizationExpired(paymentIn(status), new Date('2027-01-01T00:00:00.000Z'))).toBe(false);
    },
  );
});
