/**
 * The interfaces the domain needs from the outside world. Adapters under shared/adapters fill
 * them in for AWS and for the local gateway; tests fill them in with controlled clocks and ids.
 */
import type { ValidCard } from './domain/cards.ts';
import type { IdKind } from './domain/ids.ts';
import type { Currency } from './domain/money.ts';
import type { DueWork, EventType, PaygateEvent } from './domain/events.ts';
import type { Payment, PaymentPrecondition, PaymentStatus, Transaction, TransactionStatus } from './domain/payment.ts';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint } from './domain/webhooks.ts';
import type { PaymentIntent } from './domain/intents.ts';
import type { BlockListEntry, BlockListType, FraudHistory, FraudThresholds } from './domain/fraud.ts';

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A fresh id of the given kind: its prefix and random base62. */
  next(kind: IdKind): string;
  /** A random base62 string of the given length, for secrets such as API keys. */
  secret(length: number): string;
}

// ---------- Vault ----------

/** A card number sealed in an envelope: only the vault can open it. */
export interface SealedCardNumber {
  /** Envelope format version. */
  v: 1;
  /** The wrapped data key, as the key-wrapping service returned it (base64). */
  wrappedKey: string;
  /** Which master key wrapped the data key. */
  keyId: string;
  iv: string;
  ciphertext: string;
  tag: string;
}


export interface CardContext {
  merchantId: string;
  /** What the secret belongs to: the card token, or the webhook endpoint id. */
  token: string;
  /** Named in the KMS encryption context and the AAD, so a data key serves one purpose. */
  purpose?: SealPurpose;
}

/** What a sealed secret is: only card numbers (every other secret is derived, never stored). */
export type SealPurpose = 'card-number';
/**
 * What a MAC is for. Each purpose has a key of its own in AWS (lib/aws/card-keys.ts), granted only
 * to the functions the route table says derive it, so code running in a public function (which
 * derives client secrets) cannot forge a merchant's webhook signatures or fingerprint cards.
 */
export const MAC_PURPOSES = ['card-fingerprint', 'client-secret', 'request-hash', 'webhook-secret'] as const;
export type MacPurpose = (typeof MAC_PURPOSES)[number];

export interface Vault {
  seal(cardNumber: string, context: CardContext): Promise<SealedCardNumber>;
  open(sealed: SealedCardNumber, context: CardContext): Promise<string>;
  /** A keyed hash of the card number, stable per merchant; never a plain hash of the number. */
  fingerprint(cardNumber: string, merchantId: string): Promise<string>;
  /** A keyed MAC of `value` under a per-merchant key of its own purpose (payment intents' client secrets). */
  mac(purpose: MacPurpose, merchantId: string, value: string): Promise<Buffer>;
}

// ---------- Issuer ----------

export interface IssuerRequest {
  card: ValidCard;
  amount: number;
  currency: Currency;
}

export type IssuerResponse =
  | { approved: true; responseCode: string; authorizationCode: string }
  | { approved: false; responseCode: string; declineCode: string };

export interface Issuer {
  authorize(request: IssuerRequest): Promise<IssuerResponse>;
}

// ---------- Store ----------

export interface Merchant {
  id: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  merchantId: string;
  /** sha256 of the key, hex. The key itself is never stored. */
  keyHash: string;
  /** The first characters of the key (`sk_test_ab12`), so an operator can tell keys apart. */
  displayPrefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** A presented API key's record (null: no such key), and its caller's failed authentications so far. */
export interface KeyLookup {
  record: ApiKeyRecord | null;
  callerFailures: number;
}

/** An answer remembered for an idempotency key: status and the exact body sent. */
export interface StoredAnswer {
  statusCode: number;
  body: string;
}

/** A request holding an idempotency key. Only its owner may complete or release it. */
export interface IdempotencyLock {
  recordId: string;
  ownerToken: string;
  /** Epoch seconds after which the record may be deleted. */
  expiresAtEpochSeconds: number;
}

/**
 * The part of a command's commit that stores its request's answer under the idempotency key, so
 * the answer is remembered in the same transaction as the change it reports. The idempotency
 * engine makes it; a command passes it to the store without looking inside; the store adds it to
 * the transaction and marks it committed once the transaction is.
 */
export class IdempotencyPart {
  readonly lock: IdempotencyLock;
  readonly answer: StoredAnswer;
  #committed = false;

  constructor(lock: IdempotencyLock, answer: StoredAnswer) {
    this.lock = lock;
    this.answer = answer;
  }

  markCommitted(): void {
    this.#committed = true;
  }

  get committed(): boolean {
    return this.#committed;
  }
}

/**
 * What a command that writes gets from a request holding an idempotency key: the commit part
 * that remembers the answer `result` makes (the endpoint renders it, exactly as it renders the
 * live answer; an ApiError renders as that error). The command never sees a status or a body.
 */
export interface IdempotentAnswer {
  partFor(result: unknown): Promise<IdempotencyPart>;
}

export type IdempotencyBegin =
  | { outcome: 'acquired' }
  | { outcome: 'replay'; answer: StoredAnswer }
  | { outcome: 'mismatch' }
  | { outcome: 'in_progress' };

export interface IdempotencyClaim extends IdempotencyLock {
  /** sha256 of the method, path and canonical body. */
  requestHash: string;
  /** Epoch seconds after which an unfinished claim (a crashed request) may be taken over. */
  lockExpiresAtEpochSeconds: number;
  nowEpochSeconds: number;
}

/** One atomic change to a payment: its new state, its transaction, and whatever rides along. */
export interface PaymentCommit {
  payment: Payment;
  /** Absent when the payment is new. */
  precondition: PaymentPrecondition | null;
  transaction: Transaction;
  idempotency?: IdempotencyPart;
  /** The events reporting this change: no change without its event, no event without its change. */
  events: PaygateEvent[];
  /** A payment intent changing with the payment, in the same commit (hosted checkout). */
  intent?: IntentChange;
  /** A new payment's attempt, counted by the fraud counters in the same commit. */
  fraudAttempt?: FraudAttempt;
}

/** Whom the fraud counters and block lists are read for: one attempt's card, email, shopper IP and currency at one merchant. */
export interface FraudSubject {
  merchantId: string;
  fingerprint: string;
  email: string | null;
  clientIp: string | null;
  /** Whose usual amounts the attempt is compared with: the merchant's in this currency. */
  currency: Currency;
}

/** What the fraud rules read of the store for one attempt. */
export interface FraudSignals {
  history: FraudHistory;
  blocked: BlockListType[];
  thresholds: FraudThresholds;
}

/** An attempt as the counters count it, once its payment commits (a decline commits too: as a failed payment). */
export interface FraudAttempt {
  subject: FraudSubject;
  atMs: number;
  declined: boolean;
  /** An approved attempt's amount counts into the merchant's usual amounts. */
  amount: number;
  /** Spreads the merchant's usual-amount counts over a few items (concurrent payments seldom write the same one). */
  paymentId: string;
  smallAmount: boolean;
  /** The card had no attempt at this merchant in the counters' window: a new card for the IP's card-testing count. */
  newCard: boolean;
}

export type BlockListQuery = ListQuery;

/** The fraud counters (attempts and declines per card and per shopper IP, in a sliding hour), the merchant's thresholds and block list. */
export interface FraudStore {
  /** One read request: the card's and the IP's counters, the merchant's thresholds and the block-list entries naming the card, the email or the IP. */
  readFraudSignals(subject: FraudSubject, nowMs: number): Promise<FraudSignals>;
  getFraudThresholds(merchantId: string): Promise<FraudThresholds>;
  saveFraudThresholds(merchantId: string, thresholds: FraudThresholds, idempotency?: IdempotencyPart): Promise<void>;
  /** Adds the entry; answers the id of the entry already holding that value instead, if one does. */
  addBlockListEntry(entry: BlockListEntry, idempotency?: IdempotencyPart): Promise<{ added: true } | { added: false; existingId: string }>;
  getBlockListEntry(merchantId: string, id: string): Promise<BlockListEntry | null>;
  listBlockList(merchantId: string, query: BlockListQuery): Promise<Page<BlockListEntry>>;
  /** False when the merchant has no such entry. */
  removeBlockListEntry(merchantId: string, id: string): Promise<boolean>;
}

/** An intent's next state, committed only if it is still at `expectedVersion`. */
export interface IntentChange {
  next: PaymentIntent;
  expectedVersion: number;
}

/** Where a cursor points in a list: the object it names, by what sorts it (newest first). */
export interface ListPosition {
  createdAt: string;
  id: string;
}

/** A page of a list, newest first (API.md, "Lists"): an offset or one cursor, within a creation range. */
export interface ListQuery {
  limit: number;
  offset: number;
  /** The page after this object (older ones), or before it (newer ones): `starting_after`, `ending_before`. */
  startingAfter?: ListPosition | undefined;
  endingBefore?: ListPosition | undefined;
  /** Created at or after (`created[gte]`), before (`created[lt]`): ISO-8601 UTC. */
  createdGte?: string | undefined;
  createdLt?: string | undefined;
}

export interface EventQuery extends ListQuery {
  type?: EventType | undefined;
}

/** One filter key at most besides the creation range: `status`, `customerEmail` or `paymentIntentId` (which takes the others too). */
export interface PaymentQuery extends ListQuery {
  status?: PaymentStatus | undefined;
  customerEmail?: string | undefined;
  paymentIntentId?: string | undefined;
}

export interface DeliveryQuery extends ListQuery {
  eventId?: string | undefined;
  endpointId?: string | undefined;
  status?: DeliveryStatus | undefined;
}

/** The commit failed because the record changed since it was read. */
export class RecordChangedError extends Error {
  constructor() {
    super('The record changed since it was read.');
    this.name = 'RecordChangedError';
  }
}

export interface TransactionQuery extends ListQuery {
  status?: TransactionStatus | undefined;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

/** The commit failed because the payment changed since it was read: read again and decide again. */
export class PaymentChangedError extends Error {
  constructor() {
    super('The payment changed since it was read.');
    this.name = 'PaymentChangedError';
  }
}

/** The idempotency claim behind a commit is no longer this request's (its lock was taken over). */
export class IdempotencyLockLostError extends Error {
  constructor() {
    super('The idempotency lock is no longer held by this request.');
    this.name = 'IdempotencyLockLostError';
  }
}

/** Merchants and their API keys. */
export interface MerchantStore {
  createMerchant(merchant: Merchant, firstKey: ApiKeyRecord): Promise<void>;
  getMerchant(merchantId: string): Promise<Merchant | null>;
  addApiKey(key: ApiKeyRecord): Promise<void>;
  /** Returns false when the merchant has no such key. */
  revokeApiKey(merchantId: string, keyId: string, at: string): Promise<boolean>;
  /**
   * A presented key's record; with `caller`, read in the same request as the count of that
   * caller's failed authentications in its window (`RateLimiter.hit` counts them).
   */
  findApiKey(keyHash: string, caller?: { failures: RateWindow; nowMs: number }): Promise<KeyLookup>;
}

/** Payments and their transactions. */
export interface PaymentStore {
  getPayment(merchantId: string, paymentId: string): Promise<Payment | null>;
  getTransaction(merchantId: string, transactionId: string): Promise<Transaction | null>;
  listTransactions(merchantId: string, query: TransactionQuery): Promise<Page<Transaction>>;
  listPayments(merchantId: string, query: PaymentQuery): Promise<Page<Payment>>;
  /** Lists the payments and intents written before they were listed; answers how many; it scans, so only where the store may (0 once a marker says it ran through). */
  adoptLegacyPaymentLists(): Promise<number>;
  /** Throws PaymentChangedError when the precondition no longer holds, IdempotencyLockLostError when the lock is gone. */
  commitPayment(commit: PaymentCommit): Promise<void>;
}

/** Idempotency records (the engine is shared/http/idempotency.ts). */
export interface IdempotencyStore {
  beginIdempotent(claim: IdempotencyClaim): Promise<IdempotencyBegin>;
  /** Remembers an answer that came with no payment change (a state error, say). */
  completeIdempotent(lock: IdempotencyLock, answer: StoredAnswer): Promise<void>;
  /** Forgets a claim whose request ended with an answer that must not be remembered. */
  releaseIdempotent(lock: IdempotencyLock): Promise<void>;
}

/** Payment intents. */
export interface IntentStore {
  createIntent(intent: PaymentIntent, event: PaygateEvent, idempotency?: IdempotencyPart): Promise<void>;
  /** Merchant-scoped read; `merchantId` null for the public routes, where the client secret is the proof. */
  getIntent(merchantId: string | null, intentId: string): Promise<PaymentIntent | null>;
  listIntents(merchantId: string, query: ListQuery): Promise<Page<PaymentIntent>>;
  /** Commits an intent change (and its events) alone; RecordChangedError if it changed meanwhile. */
  updateIntent(change: IntentChange, events: PaygateEvent[], idempotency?: IdempotencyPart): Promise<void>;
}

/** Events, written in the commits of the changes they report. */
export interface EventStore {
  getEvent(merchantId: string, eventId: string): Promise<PaygateEvent | null>;
  listEvents(merchantId: string, query: EventQuery): Promise<Page<PaygateEvent>>;
}

/** Webhook endpoints and deliveries. */
export interface WebhookStore {
  /** False when the merchant already has `maxPerMerchant` endpoints (counted in the same transaction). */
  createWebhookEndpoint(endpoint: WebhookEndpoint, maxPerMerchant: number, idempotency?: IdempotencyPart): Promise<boolean>;
  getWebhookEndpoint(merchantId: string, endpointId: string): Promise<WebhookEndpoint | null>;
  listWebhookEndpoints(merchantId: string): Promise<WebhookEndpoint[]>;
  /** Replaces the secrets if the endpoint still has `expectedSecretCount` of them (else RecordChangedError). */
  replaceWebhookSecrets(endpoint: WebhookEndpoint, expectedSecretCount: number, idempotency?: IdempotencyPart): Promise<void>;
  deleteWebhookEndpoint(merchantId: string, endpointId: string): Promise<boolean>;
  /** Creates the delivery and its first attempt's work, unless that delivery exists already. */
  createDelivery(delivery: WebhookDelivery, work: DueWork): Promise<boolean>;
  getDelivery(merchantId: string, deliveryId: string): Promise<WebhookDelivery | null>;
  listDeliveries(merchantId: string, query: DeliveryQuery): Promise<Page<WebhookDelivery>>;
  /** Saves a delivery if its version is still `next.version - 1`, with the work of its next attempt. */
  saveDelivery(next: WebhookDelivery, work: DueWork | null, idempotency?: IdempotencyPart): Promise<void>;
  /**
   * Indexes deliveries written before their lists by status, endpoint and event were keyed; answers
   * how many (0 once done). It scans the table: run where the store may (no function may Scan).
   */
  adoptLegacyDeliveries(): Promise<number>;
}

/** What the outbox must still do, and when. */
export interface DueWorkStore {
  scheduleWork(work: DueWork): Promise<void>;
  /** Takes up to `max` items due at `now`, each leased until `leaseUntil` so no other worker takes it meanwhile. */
  claimDueWork(now: Date, leaseUntil: Date, max: number): Promise<DueWork[]>;
  completeWork(work: DueWork): Promise<void>;
  /** Moves work items written before the `due` index into it; answers how many (0 once none is left). */
  adoptLegacyWork(): Promise<number>;
}

/** The whole store, by aggregate: what a composition root hands the commands as `deps.store`. */
export interface Store extends MerchantStore, PaymentStore, FraudStore, IdempotencyStore, IntentStore, EventStore, WebhookStore, DueWorkStore {
  /** Reads one fixed item: resolves when the table answers, throws when it cannot be reached. */
  ping(): Promise<void>;
}

// ---------- Webhook transport ----------

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** Posts one webhook; resolves with the status code, rejects on network errors and time-outs. */
export interface WebhookTransport {
  post(request: WebhookRequest): Promise<{ statusCode: number; bodyExcerpt: string }>;
}

// ---------- Rate limits ----------

export interface RateWindow {
  /** What is counted: `payment:<merchant id>`, `public:<ip>`... */
  key: string;
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds at which the window resets. */
  resetEpochSeconds: number;
}

/** Counts requests in the shared store, so limits hold across every function instance. */
export interface RateLimiter {
  /**
   * Counts one request in every window (windows of one key), or in none when any is full.
   * Answers the window that refused it, or else the one with the fewest requests left.
   */
  hit(windows: readonly RateWindow[], nowMs: number): Promise<RateDecision>;
}

// ---------- Queue and scheduler of due work ----------

/** Runs work as soon as possible: SQS in AWS, an in-process queue in the local gateway. */
export interface EventQueue {
  enqueue(work: DueWork): Promise<void>;
}

/** Runs work at its `runAt`: a Step Functions Wait in AWS, the work table's poller locally. */
export interface Scheduler {
  scheduleAt(work: DueWork): Promise<void>;
}
