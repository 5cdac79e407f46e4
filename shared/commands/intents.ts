import { timingSafeEqual } from 'node:crypto';
import { validateCard, type CardInput } from '../domain/cards.ts';
import { ApiError, errors } from '../domain/errors.ts';
import { base62FromBytes } from '../domain/ids.ts';
import {
  effectiveIntentStatus,
  MAX_INTENT_ATTEMPTS,
  redirectUrlFor,
  type CaptureMethod,
  type PaymentIntent,
} from '../domain/intents.ts';
import type { Currency } from '../domain/money.ts';
import { isLoopbackUrl } from '../domain/webhooks.ts';
import { intentView } from '../domain/views.ts';
import type { Dependencies } from '../dependencies.ts';
import { RecordChangedError, type IdempotentAnswer, type ListQuery, type Page } from '../ports.ts';
import { positioned, type ListRequest } from './lists.ts';
import { announce } from './outbox.ts';
import { createPayment, type IntentSettlement } from './payments.ts';
import { assertTestMode } from './test-mode.ts';

/** A confirmation holds the intent this long at most (a crashed confirm frees it after). */
const CONFIRMATION_HOLD_MS = 60_000;
const SECRET_LENGTH = 40;

/**
 * The client secret is derived, never stored: `pi_<id>_secret_` + base62 of a MAC of the intent
 * id under a per-merchant key of the vault (KMS GenerateMac in AWS). Checking one is recomputing
 * it and comparing in constant time.
 */
export async function clientSecretFor(deps: Dependencies, intent: { id: string; merchantId: string }): Promise<string> {
  const mac = await deps.vault.mac('client-secret', intent.merchantId, intent.id);
  const bytes = Buffer.concat([mac, await deps.vault.mac('client-secret', intent.merchantId, `${intent.id}:2`)]);
  return `${intent.id}_secret_${base62FromBytes(bytes, SECRET_LENGTH)}`;
}

async function requireClientSecret(deps: Dependencies, intent: PaymentIntent, presented: string | undefined): Promise<void> {
  const expected = Buffer.from(await clientSecretFor(deps, intent));
  const given = Buffer.from(presented ?? '');
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  if (!same) throw errors.invalidClientSecret();
}

export interface NewIntent {
  amount: number;
  currency: Currency;
  successUrl: string;
  cancelUrl: string | null;
  orderId: string | null;
  description: string | null;
  captureMethod: CaptureMethod;
  customerEmail: string | null;
  metadata: Record<string, string>;
}

/** Stands for the client secret in stored answers (letters and underscores: URL-encoding keeps it). */
export const CLIENT_SECRET_PLACEHOLDER = '__PAYGATE_CLIENT_SECRET__';

/** Puts the client secret back into a remembered answer about an intent. */
export async function revealClientSecret(deps: Dependencies, merchantId: string, storedBody: string): Promise<string> {
  if (!storedBody.includes(CLIENT_SECRET_PLACEHOLDER)) return storedBody;
  const { id } = JSON.parse(storedBody) as { id: string };
  return storedBody.split(CLIENT_SECRET_PLACEHOLDER).join(await clientSecretFor(deps, { id, merchantId }));
}

export async function createIntent(
  deps: Dependencies,
  merchantId: string,
  input: NewIntent,
  idempotency?: IdempotentAnswer,
): Promise<{ intent: PaymentIntent; clientSecret: string }> {
  if (!deps.settings.allowLoopbackUrls) {
    if (isLoopbackUrl(input.successUrl)) throw errors.invalidUrl('success_url');
    if (input.cancelUrl !== null && isLoopbackUrl(input.cancelUrl)) throw errors.invalidUrl('cancel_url');
  }
  const now = deps.clock.now();
  const at = now.toISOString();
  const intent: PaymentIntent = {
    id: deps.ids.next('paymentIntent'),
    merchantId,
    status: 'created',
    amount: input.amount,
    currency: input.currency,
    successUrl: input.successUrl,
    cancelUrl: input.cancelUrl ?? input.successUrl,
    orderId: input.orderId,
    description: input.description,
    captureMethod: input.captureMethod,
    customerEmail: input.customerEmail,
    metadata: input.metadata,
    paymentId: null,
    attempts: 0,
    maxAttempts: MAX_INTENT_ATTEMPTS,
    lastPaymentError: null,
    expiresAt: new Date(now.getTime() + deps.settings.intentTtlSeconds * 1000).toISOString(),
    createdAt: at,
    updatedAt: at,
    confirmingUntil: null,
    version: 1,
  };
  const created = { intent, clientSecret: await clientSecretFor(deps, intent) };
  const event = announce(deps, merchantId, 'payment_intent.created', intentView(intent, now, null, deps.settings.publicUrl), intent.version, now);
  await deps.store.createIntent(intent, event, idempotency && (await idempotency.partFor(created)));
  return created;
}

export async function getIntent(deps: Dependencies, merchantId: string, intentId: string): Promise<PaymentIntent> {
  const intent = await deps.store.getIntent(merchantId, intentId);
  if (!intent) throw errors.notFound('payment intent');
  return intent;
}

/** A page of the merchant's intents (a cursor names one of them). */
export async function listIntents(deps: Dependencies, merchantId: string, request: ListRequest<ListQuery>): Promise<Page<PaymentIntent>> {
  return deps.store.listIntents(merchantId, await positioned(request, (id) => deps.store.getIntent(merchantId, id), 'payment intent'));
}

/** The public read: only with the intent's client secret. */
export async function getPublicIntent(deps: Dependencies, intentId: string, clientSecret: string | undefined) {
  const intent = await deps.store.getIntent(null, intentId);
  if (!intent) throw errors.notFound('payment intent');
  await requireClientSecret(deps, intent, clientSecret);
  const merchant = await deps.store.getMerchant(intent.merchantId);
  return { intent, merchantName: merchant?.name ?? '' };
}

export async function cancelIntent(deps: Dependencies, merchantId: string, intentId: string, idempotency?: IdempotentAnswer): Promise<PaymentIntent> {
  const intent = await getIntent(deps, merchantId, intentId);
  const now = deps.clock.now();
  const status = effectiveIntentStatus(intent, now);
  if (status === 'succeeded') throw errors.alreadyCompleted();
  if (status !== 'created') throw errors.invalidState(`A ${status} payment intent cannot be canceled.`);
  if (intent.confirmingUntil && Date.parse(intent.confirmingUntil) > now.getTime()) {
    throw errors.busy('The customer is paying this intent right now.');
  }
  const next: PaymentIntent = { ...intent, status: 'canceled', confirmingUntil: null, updatedAt: now.toISOString(), version: intent.version + 1 };
  const event = announce(deps, merchantId, 'payment_intent.canceled', intentView(next, now, null, deps.settings.publicUrl), next.version, now);
  try {
    await deps.store.updateIntent({ next, expectedVersion: intent.version }, [event], idempotency && (await idempotency.partFor(next)));
  } catch (error) {
    if (error instanceof RecordChangedError) throw errors.busy('The payment intent changed meanwhile; read it again.');
    throw error;
  }
  return next;
}

/** The test helper: the intent expires now (its `expires_at` becomes now), as it would have at `expires_at`. */
export async function expireIntentNow(deps: Dependencies, merchantId: string, intentId: string, idempotency?: IdempotentAnswer): Promise<PaymentIntent> {
  assertTestMode(deps);
  const intent = await getIntent(deps, merchantId, intentId);
  const now = deps.clock.now();
  const status = effectiveIntentStatus(intent, now);
  if (status === 'succeeded') throw errors.alreadyCompleted();
  if (status !== 'created') throw errors.invalidState(`A ${status} payment intent cannot expire.`);
  if (intent.confirmingUntil && Date.parse(intent.confirmingUntil) > now.getTime()) throw errors.busy('The customer is paying this intent right now.');
  const at = now.toISOString();
  const next: PaymentIntent = { ...intent, status: 'expired', expiresAt: at, confirmingUntil: null, updatedAt: at, version: intent.version + 1 };
  try {
    await deps.store.updateIntent({ next, expectedVersion: intent.version }, [], idempotency && (await idempotency.partFor(next)));
  } catch (error) {
    if (error instanceof RecordChangedError) throw errors.busy('The payment intent changed meanwhile; read it again.');
    throw error;
  }
  return next;
}

export interface Confirmation {
  clientSecret: string | undefined;
  card: CardInput;
  customerEmail: string | null;
  /** The shopper's IP address, for the fraud rules; null when not known. */
  clientIp?: string | null;
}

/**
 * Pays an intent through the same payment core as /payments (vault, fraud, issuer, commit).
 * The intent is held for the length of one confirmation (a versioned write), so concurrent
 * confirms make one payment; the payment and the intent's outcome commit together.
 */
export async function confirmIntent(deps: Dependencies, intentId: string, input: Confirmation) {
  const intent = await deps.store.getIntent(null, intentId);
  if (!intent) throw errors.notFound('payment intent');
  await requireClientSecret(deps, intent, input.clientSecret);
  const now = deps.clock.now();
  switch (effectiveIntentStatus(intent, now)) {
    case 'succeeded':
    case 'canceled':
      throw errors.alreadyCompleted();
    case 'expired':
      throw errors.intentExpired();
    case 'failed':
      throw errors.maxAttemptsExceeded();
    case 'created':
      break;
  }
  const customerEmail = intent.customerEmail ?? input.customerEmail;
  if (!customerEmail) throw errors.validation('customer_email is required: the payment intent has none.', 'customer_email');
  // Card errors are the customer's typos: they answer 400 without taking an attempt.
  validateCard(input.card, now);
  if (intent.confirmingUntil && Date.parse(intent.confirmingUntil) > now.getTime()) {
    throw errors.busy('This payment intent is already being confirmed.');
  }

  const held: PaymentIntent = {
    ...intent,
    confirmingUntil: new Date(now.getTime() + CONFIRMATION_HOLD_MS).toISOString(),
    version: intent.version + 1,
  };
  try {
    await deps.store.updateIntent({ next: held, expectedVersion: intent.version }, []);
  } catch (error) {
    if (error instanceof RecordChangedError) throw errors.busy('This payment intent is already being confirmed.');
    throw error;
  }

  let committed: PaymentIntent | null = null;
  const settlement: IntentSettlement = {
    settle: (payment, decline, at) => {
      const attempts = held.attempts + 1;
      const succeeded = decline === null;
      const next: PaymentIntent = {
        ...held,
        status: succeeded ? 'succeeded' : attempts >= held.maxAttempts ? 'failed' : 'created',
        paymentId: succeeded ? payment.id : held.paymentId,
        paymentIds: [...(held.paymentIds ?? []), payment.id],
        customerEmail,
        attempts,
        lastPaymentError: decline
          ? { code: decline.code, decline_code: decline.details.declineCode ?? null, message: decline.message }
          : null,
        confirmingUntil: null,
        updatedAt: at.toISOString(),
        version: held.version + 1,
      };
      const events = succeeded
        ? [announce(deps, held.merchantId, 'payment_intent.succeeded', intentView(next, at, null, deps.settings.publicUrl), next.version, at)]
        : [];
      committed = next;
      return { change: { next, expectedVersion: held.version }, events };
    },
  };

  try {
    const payment = await createPayment(
      deps,
      held.merchantId,
      {
        amount: held.amount,
        currency: held.currency,
        card: input.card,
        customer: { email: customerEmail, name: input.card.holderName ?? null, phone: null },
        description: held.description,
        metadata: held.metadata,
        capture: held.captureMethod === 'automatic',
        paymentIntentId: held.id,
        clientIp: input.clientIp ?? null,
      },
      undefined,
      settlement,
    );
    // What the commit stored (the settlement ran just before it), not the held copy.
    const stored = committed ?? held;
    return { intent: stored, payment, redirectUrl: redirectUrlFor(stored) };
  } catch (error) {
    if (error instanceof RecordChangedError) {
      // The hold lapsed and another confirm (or a cancel) changed the intent first: nothing of this
      // attempt was committed. (A real issuer's approval would need a reversal here.)
      const now = await deps.store.getIntent(null, intentId);
      throw now && (now.status === 'succeeded' || now.status === 'canceled')
        ? errors.alreadyCompleted()
        : errors.busy('This payment intent changed while it was being confirmed; try again.');
    }
    if (!(error instanceof ApiError && error.status === 402)) await releaseHold(deps, held);
    throw error;
  }
}

/** Frees an intent whose confirmation ended without a commit (so the customer can try again). */
async function releaseHold(deps: Dependencies, held: PaymentIntent): Promise<void> {
  const next = { ...held, confirmingUntil: null, version: held.version + 1 };
  await deps.store.updateIntent({ next, expectedVersion: held.version }, []).catch(() => undefined);
}
