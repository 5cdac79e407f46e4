import { validateCard, lastFour, type CardInput } from '../domain/cards.ts';
import { errors, type ApiError } from '../domain/errors.ts';
import { assessFraud, SMALL_AMOUNT } from '../domain/fraud.ts';
import type { Currency } from '../domain/money.ts';
import {
  decideCapture,
  decideExpiry,
  decideRefund,
  decideVoid,
  type Customer,
  type Payment,
  type PaymentTransition,
  type Transaction,
} from '../domain/payment.ts';
import { paymentView } from '../domain/views.ts';
import type { Dependencies } from '../dependencies.ts';
import { announce, PAYMENT_EVENT_BY_STATUS } from './outbox.ts';
import { PaymentChangedError, type IdempotentAnswer, type IntentChange, type IssuerResponse, type Page, type PaymentQuery } from '../ports.ts';
import { positioned, type ListRequest } from './lists.ts';
import { assertTestMode } from './test-mode.ts';
import type { PaygateEvent } from '../domain/events.ts';

export interface NewPayment {
  amount: number;
  currency: Currency;
  card: CardInput;
  customer: Customer | null;
  description: string | null;
  metadata: Record<string, string>;
  /** A sale captures at once; an authorization holds the funds for a later capture. */
  capture: boolean;
  paymentIntentId?: string | null;
  /** The shopper's IP address: the public confirm's client, or `customer.ip` of a server call; null when unknown. */
  clientIp?: string | null;
}

/** Response code and decline code the card networks use for a fraud decline. */
const FRAUD_RESPONSE = { responseCode: '59', declineCode: 'fraudulent' };

/** A payment made for a payment intent settles the intent in the same commit. */
export interface IntentSettlement {
  settle(payment: Payment, decline: ApiError | null, at: Date): { change: IntentChange; events: PaygateEvent[] };
}

/**
 * Authorize (and, for a sale, capture) a new payment. Validation, fraud scoring and the issuer
 * all run before anything is written; then the payment, its transaction, its event and the
 * idempotency answer commit together. A decline is a payment too (status `failed`).
 *
 * The card's token names the card in the payment, but the card number is not kept: a raw card's
 * token counts as used (API.md), so a sealed copy would be card data stored for nothing (PCI DSS
 * keeps stored account data to what is needed). Only the fingerprint, a keyed MAC, is stored.
 */
export async function createPayment(
  deps: Dependencies,
  merchantId: string,
  input: NewPayment,
  idempotency?: IdempotentAnswer,
  intent?: IntentSettlement,
): Promise<Payment> {
  const now = deps.clock.now();
  const card = validateCard(input.card, now);
  const paymentId = deps.ids.next('payment');
  const token = deps.ids.next('token');
  const fingerprint = await deps.vault.fingerprint(card.number, merchantId);

  // What came before this attempt (counters of its card and IP, the merchant's block list and thresholds): one read.
  const clientIp = input.clientIp ?? null;
  const subject = { merchantId, fingerprint, email: input.customer?.email ?? null, clientIp, currency: input.currency };
  const signals = await deps.store.readFraudSignals(subject, now.getTime());
  const fraud = assessFraud(
    { amount: input.amount, currency: input.currency, card, customer: input.customer, clientIp, now, history: signals.history, blocked: signals.blocked },
    deps.fraudRules,
    signals.thresholds,
  );

  const issuerResponse: IssuerResponse =
    fraud.decision === 'decline'
      ? { approved: false, ...FRAUD_RESPONSE }
      : await deps.issuer.authorize({ card, amount: input.amount, currency: input.currency });

  const at = now.toISOString();
  const approved = issuerResponse.approved;
  const captured = approved && input.capture;
  const expiresAt = approved && !captured ? new Date(now.getTime() + deps.settings.authorizationTtlSeconds * 1000).toISOString() : null;

  const payment: Payment = {
    id: paymentId,
    merchantId,
    status: !approved ? 'failed' : captured ? 'captured' : 'authorized',
    amount: input.amount,
    currency: input.currency,
    amountCapturable: approved && !captured ? input.amount : 0,
    amountCaptured: captured ? input.amount : 0,
    amountRefunded: 0,
    card: {
      token,
      brand: card.brand,
      last4: lastFour(card),
      expMonth: card.expMonth,
      expYear: card.expYear,
      fingerprint,
      holderName: card.holderName ?? null,
    },
    customer: input.customer,
    description: input.description,
    metadata: input.metadata,
    fraud,
    responseCode: issuerResponse.responseCode,
    declineCode: issuerResponse.approved ? null : issuerResponse.declineCode,
    authorizationCode: issuerResponse.approved ? issuerResponse.authorizationCode : null,
    paymentIntentId: input.paymentIntentId ?? null,
    createdAt: at,
    updatedAt: at,
    authorizedAt: approved ? at : null,
    capturedAt: captured ? at : null,
    voidedAt: null,
    expiresAt,
    version: 1,
  };

  const transaction: Transaction = {
    id: deps.ids.next('transaction'),
    merchantId,
    paymentId,
    type: input.capture ? 'sale' : 'authorize',
    status: payment.status === 'failed' ? 'failed' : captured ? 'captured' : 'authorized',
    amount: input.amount,
    currency: input.currency,
    reason: null,
    responseCode: payment.responseCode,
    declineCode: payment.declineCode,
    createdAt: at,
  };

  const decline: ApiError | null = issuerResponse.approved
    ? null
    : fraud.decision === 'decline'
      ? errors.fraudDeclined(paymentId)
      : errors.cardDeclined(issuerResponse.declineCode, paymentId);

  const event = announce(deps, merchantId, PAYMENT_EVENT_BY_STATUS[transaction.status], paymentView(payment), payment.version, now);
  // An authorized payment the rules want a person to look at: the merchant hears of it too.
  const review = approved && fraud.decision === 'review' ? [announce(deps, merchantId, 'payment.review_required', paymentView(payment), payment.version, now)] : [];
  const settled = intent?.settle(payment, decline, now);
  // An authorization's expiry is due in the store with the payment itself (see the store's `due` index).
  await deps.store.commitPayment({
    payment,
    precondition: null,
    transaction,
    events: [event, ...review, ...(settled?.events ?? [])],
    ...(settled ? { intent: settled.change } : {}),
    fraudAttempt: {
      subject,
      atMs: now.getTime(),
      declined: !approved,
      amount: input.amount,
      paymentId,
      smallAmount: input.amount < SMALL_AMOUNT,
      newCard: signals.history.card.attempts === 0,
    },
    // A decline is remembered as the decline: the same payment is not tried again.
    ...(idempotency ? { idempotency: await idempotency.partFor(decline ?? payment) } : {}),
  });
  if (decline) throw decline;
  return payment;
}

export async function capturePayment(
  deps: Dependencies, merchantId: string, paymentId: string, amount: number | undefined, idempotency?: IdempotentAnswer,
): Promise<Payment> {
  return changePayment(deps, merchantId, paymentId, (p, now) => decideCapture(p, amount, now), idempotency);
}

export async function voidPayment(
  deps: Dependencies, merchantId: string, paymentId: string, reason: string | null, idempotency?: IdempotentAnswer,
): Promise<Payment> {
  return changePayment(deps, merchantId, paymentId, (p, now) => decideVoid(p, reason, now), idempotency);
}

export async function refundPayment(
  deps: Dependencies,
  merchantId: string,
  paymentId: string,
  amount: number | undefined,
  reason: string | null,
  idempotency?: IdempotentAnswer,
): Promise<Payment> {
  return changePayment(deps, merchantId, paymentId, (p, now) => decideRefund(p, amount, reason, now), idempotency);
}

/**
 * Expires an uncaptured authorization whose time has come; does nothing if it was captured,
 * voided or already expired meanwhile (the commit's precondition settles a race with a capture).
 */
/** The test helper: the authorization expires now, exactly as the 7-day job would expire it (transaction `expire`, event `payment.expired`). */
export async function expireAuthorizationNow(deps: Dependencies, merchantId: string, paymentId: string, idempotency?: IdempotentAnswer): Promise<Payment> {
  assertTestMode(deps);
  return changePayment(
    deps,
    merchantId,
    paymentId,
    (p, now) => {
      if (p.status !== 'authorized') throw errors.invalidState(`Only an authorized payment can expire; this one is ${p.status}.`);
      return decideExpiry(p, now, { early: true });
    },
    idempotency,
  );
}

export async function expireAuthorization(deps: Dependencies, merchantId: string, paymentId: string): Promise<Payment> {
  return changePayment(deps, merchantId, paymentId, (p, now) => decideExpiry(p, now), undefined);
}

/** A page of the merchant's payments (a cursor names one of them). */
export async function listPayments(deps: Dependencies, merchantId: string, request: ListRequest<PaymentQuery>): Promise<Page<Payment>> {
  return deps.store.listPayments(merchantId, await positioned(request, (id) => deps.store.getPayment(merchantId, id), 'payment'));
}

export async function getPayment(deps: Dependencies, merchantId: string, paymentId: string): Promise<Payment> {
  const payment = await deps.store.getPayment(merchantId, paymentId);
  if (!payment) throw errors.notFound('payment');
  return payment;
}

/** Bounded, so a pathological hot spot answers 503 instead of spinning. Each lost round means another request won. */
const MAX_COMMIT_ATTEMPTS = 100;

/**
 * Read, decide, commit with the decision's precondition; if the payment changed in between,
 * decide again on what is stored now. The database settles every race: the decision may be
 * recomputed, but a change commits only against the exact state it was decided on.
 */
async function changePayment(
  deps: Dependencies,
  merchantId: string,
  paymentId: string,
  decide: (payment: Payment, now: Date) => PaymentTransition | null,
  idempotency: IdempotentAnswer | undefined,
): Promise<Payment> {
  for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
    const current = await getPayment(deps, merchantId, paymentId);
    const now = deps.clock.now();
    const transition = decide(current, now);
    if (transition === null) return current;
    const { next, transaction, precondition } = transition;
    const event = announce(deps, merchantId, PAYMENT_EVENT_BY_STATUS[transaction.status], paymentView(next), next.version, now);
    try {
      await deps.store.commitPayment({
        payment: next,
        precondition,
        transaction: { ...transaction, id: deps.ids.next('transaction') },
        events: [event],
        ...(idempotency ? { idempotency: await idempotency.partFor(next) } : {}),
      });
      return next;
    } catch (error) {
      if (!(error instanceof PaymentChangedError)) throw error;
      await sleep(Math.min(50, 2 + attempt * 2) * Math.random());
    }
  }
  throw errors.serviceUnavailable();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
