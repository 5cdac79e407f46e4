/**
 * The idempotency engine: the claim of a key, the replay of its answer, the commit part that
 * remembers an answer in the command's own transaction, and the settling of a claim whose request
 * changed nothing (remember its answer, or forget the key). The middleware is its front door.
 *
 * One conditional PutItem is both the lock and the lookup (a first call: that claim plus the
 * command's commit; a replay: one read-and-refuse). Only the request holding the key (an owner
 * token in every condition) can complete or release it; one abandoned by a crashed request can be
 * taken over by the same request after IDEMPOTENCY_LOCK_SECONDS.
 */
import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Dependencies } from '../dependencies.ts';
import { ApiError, errors } from '../domain/errors.ts';
import { IdempotencyPart, type IdempotencyLock, type IdempotentAnswer, type StoredAnswer } from '../ports.ts';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;
/** A request holding an idempotency key longer than this (a crashed caller) may be taken over. */
export const IDEMPOTENCY_LOCK_SECONDS = 60;

/** Turns a command's result (or the ApiError it ends with) into the answer the endpoint sends. */
export type AnswerRenderer = (result: unknown, requestId: string) => Promise<StoredAnswer>;

/**
 * The key a running request holds. A command that writes asks it for the commit part of its
 * answer; when the request ends, the claim is settled unless that part was committed.
 */
export class HeldKey implements IdempotentAnswer {
  readonly lock: IdempotencyLock;
  private readonly deps: Dependencies;
  private readonly requestId: string;
  private readonly render: AnswerRenderer;
  private readonly parts: IdempotencyPart[] = [];
  private settled = false;

  constructor(deps: Dependencies, lock: IdempotencyLock, requestId: string, render: AnswerRenderer) {
    this.deps = deps;
    this.lock = lock;
    this.requestId = requestId;
    this.render = render;
  }

  async partFor(result: unknown): Promise<IdempotencyPart> {
    const part = new IdempotencyPart(this.lock, await this.render(result, this.requestId));
    this.parts.push(part);
    return part;
  }

  /** Whether the answer was remembered with the change it reports (or the claim settled). */
  private get done(): boolean {
    return this.settled || this.parts.some((p) => p.committed);
  }

  /** The request answered `result`: remembered already with its change, or now (an answer that changed nothing). */
  async answered(result: unknown): Promise<void> {
    if (this.done) return;
    await this.deps.store.completeIdempotent(this.lock, await this.render(result, this.requestId));
    this.settled = true;
  }

  /** The request failed: a decision (a decline, a state error) is remembered; anything else forgets the key, so a retry runs again. */
  async failed(error: unknown): Promise<void> {
    if (this.done) return;
    if (error instanceof ApiError && error.isRememberedByIdempotency) {
      await this.deps.store.completeIdempotent(this.lock, await this.render(error, this.requestId));
    } else {
      await this.deps.store.releaseIdempotent(this.lock);
    }
    this.settled = true;
  }
}

export interface KeyedRequest {
  key: string;
  /** Whose key it is: a key is scoped to its merchant. */
  merchantId: string;
  method: string;
  path: string;
  /** The parsed JSON body, card data already keyed (see `withCardDataKeyed`). */
  hashableBody: unknown;
}

export type Claim = { outcome: 'held'; key: HeldKey } | { outcome: 'replay'; answer: StoredAnswer };

/** Claims the key for this request, or finds the answer it already has; a different request under the key, or one still running, is refused. */
export async function claimKey(deps: Dependencies, request: KeyedRequest, requestId: string, render: AnswerRenderer): Promise<Claim> {
  if (!IDEMPOTENCY_KEY_PATTERN.test(request.key)) {
    throw errors.validation('Idempotency-Key must be 1-255 printable ASCII characters.', 'Idempotency-Key');
  }
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  const lock: IdempotencyLock = {
    recordId: `${request.merchantId}#${sha256(request.key)}`,
    ownerToken: randomUUID(),
    expiresAtEpochSeconds: nowSeconds + deps.settings.idempotencyTtlSeconds,
  };
  const begun = await deps.store.beginIdempotent({
    ...lock,
    requestHash: requestHash(request.method, request.path, request.hashableBody),
    lockExpiresAtEpochSeconds: nowSeconds + IDEMPOTENCY_LOCK_SECONDS,
    nowEpochSeconds: nowSeconds,
  });
  switch (begun.outcome) {
    case 'acquired':
      return { outcome: 'held', key: new HeldKey(deps, lock, requestId, render) };
    case 'replay':
      return { outcome: 'replay', answer: begun.answer };
    case 'mismatch':
      throw errors.idempotencyKeyMismatch();
    case 'in_progress':
      throw errors.idempotencyKeyInUse();
  }
}

/** sha256 of the method, the path and the body's canonical JSON (RFC 8785): key order does not matter. */
export function requestHash(method: string, path: string, body: unknown): string {
  return sha256(`${method} ${path}\n${canonicalize(body) ?? ''}`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The request hash is kept 24 hours beside the answer, so it must not be a plain hash of a card:
 * with last4, expiry and the BIN, a card number and CVV fall to brute force in seconds. On routes
 * that take cards, `card.number` and `card.cvv` enter the hash only as a keyed MAC of the vault.
 */
export async function withCardDataKeyed(deps: Dependencies, merchantId: string, takesCards: boolean, body: unknown): Promise<unknown> {
  if (!takesCards || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const card = (body as Record<string, unknown>)['card'];
  if (typeof card !== 'object' || card === null || Array.isArray(card)) return body;
  const { number, cvv, ...rest } = card as Record<string, unknown>;
  const mac = await deps.vault.mac('request-hash', merchantId, JSON.stringify([number ?? null, cvv ?? null]));
  return { ...(body as Record<string, unknown>), card: { ...rest, keyed: mac.toString('base64') } };
}
