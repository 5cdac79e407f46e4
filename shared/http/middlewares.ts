import { createHash, randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import canonicalize from 'canonicalize';
import { authenticateApiKey } from '../commands/merchants.ts';
import { ApiError, errors } from '../domain/errors.ts';
import { IdempotencyLockLostError, type RateWindow } from '../ports.ts';
import type { Dependencies } from '../dependencies.ts';
import { header, jsonResult, type HttpEvent, type HttpResult, type PaygateContext } from './types.ts';

type Middleware = MiddlewareObj<HttpEvent, HttpResult, Error, PaygateContext>;

export const MAX_BODY_BYTES = 64 * 1024;
const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;
/** A request holding an idempotency key longer than this (a crashed caller) may be taken over. */
const IDEMPOTENCY_LOCK_SECONDS = 60;

export function errorAnswer(error: ApiError, requestId: string): HttpResult {
  const headers: Record<string, string> = {};
  if (error.details.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.details.retryAfterSeconds);
  return jsonResult(error.status, JSON.stringify(error.toBody(requestId)), headers);
}

/**
 * Outermost: turns every error into the contract's shape. Anything that is not an ApiError is
 * logged by name and (redacted) message, and answered with a bare 500: no stack, no input.
 */
export const errorResponder = (): Middleware => ({
  onError: (request) => {
    const state = request.context.paygate;
    let error = request.error;
    if (error instanceof IdempotencyLockLostError) error = errors.idempotencyKeyInUse();
    if (storeUnreachable(error)) {
      state.deps.logger.log('error', 'the store could not be reached', { request_id: state.requestId, error_name: error?.name });
      error = errors.serviceUnavailable();
    }
    if (!(error instanceof ApiError)) {
      state.deps.logger.log('error', 'unhandled error', {
        request_id: state.requestId,
        error_name: error?.name,
        error_message: error?.message,
      });
      error = errors.internal();
    }
    const apiError = error as ApiError;
    state.errorCode = apiError.code;
    request.response = errorAnswer(apiError, state.requestId);
  },
});

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** The store (or its network) did not answer: a 503 the caller may retry, not a 500. */
function storeUnreachable(error: Error | null | undefined): boolean {
  if (!error || error instanceof ApiError) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || error.name === 'TimeoutError';
}

/** Reads the body: at most 64 KiB, JSON only. The raw body is never kept in an error or a log. */
export const jsonBody = (): Middleware => ({
  before: (request) => {
    const { event } = request;
    if (event.body === undefined || event.body === null || event.body === '') {
      request.context.paygate.body = undefined;
      return;
    }
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (raw.length > MAX_BODY_BYTES) throw errors.payloadTooLarge();
    const text = raw.toString('utf8');
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw errors.validation(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
    try {
      request.context.paygate.body = JSON.parse(text);
    } catch {
      throw errors.invalidJson();
    }
  },
});

/** API-key and admin authentication, as the route table says. */
export const authenticate = (): Middleware => ({
  before: async (request) => {
    const state = request.context.paygate;
    switch (state.route.auth) {
      case 'none':
      case 'client_secret':
        return;
      case 'admin':
        if (!state.deps.isAdmin(request.event)) throw errors.invalidApiKey();
        return;
      case 'api_key': {
        const key = presentedApiKey(request.event);
        if (key === undefined) throw errors.missingApiKey();
        state.merchantId = await authenticateApiKey(state.deps, key);
        return;
      }
    }
  },
});

function presentedApiKey(event: HttpEvent): string | undefined {
  const authorization = header(event, 'authorization');
  if (authorization !== undefined && authorization.trim() !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : authorization.trim();
  }
  const apiKey = header(event, 'x-api-key');
  return apiKey !== undefined && apiKey.trim() !== '' ? apiKey.trim() : undefined;
}

/**
 * Idempotency keys on POST under /api/v1/. One conditional put is both the lock and the lookup;
 * the answer is committed by the command in the same transaction as the payment. Answers that
 * must not be remembered (validation 400s, 5xx) release the key so a retry runs again.
 */
export const idempotency = (
  revealStoredAnswer?: (deps: Dependencies, merchantId: string, body: string) => Promise<string>,
): Middleware => ({
  before: async (request) => {
    const state = request.context.paygate;
    const key = header(request.event, 'idempotency-key');
    if (key === undefined || state.route.method !== 'POST' || !state.route.path.startsWith('/api/v1/')) return;
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw errors.validation('Idempotency-Key must be 1-255 printable ASCII characters.', 'Idempotency-Key');
    }
    const merchantId = state.merchantId;
    if (merchantId === null) return;
    const { deps } = state;
    const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
    const lock = {
      recordId: `${merchantId}#${sha256(key)}`,
      ownerToken: randomUUID(),
      expiresAtEpochSeconds: nowSeconds + deps.settings.idempotencyTtlSeconds,
    };
    const hashable = await withCardDataKeyed(state.deps, merchantId, state.route.cardAccess === 'seal', state.body ?? {});
    const requestHash = sha256(`${request.event.requestContext.http.method} ${request.event.rawPath}\n${canonicalize(hashable) ?? ''}`);
    const begun = await deps.store.beginIdempotent({
      ...lock,
      requestHash,
      lockExpiresAtEpochSeconds: nowSeconds + IDEMPOTENCY_LOCK_SECONDS,
      nowEpochSeconds: nowSeconds,
    });
    switch (begun.outcome) {
      case 'acquired':
        state.idempotency = { lock, requestId: state.requestId, successStatus: 200, committed: false };
        return;
      case 'replay': {
        state.replayed = true;
        const body = revealStoredAnswer ? await revealStoredAnswer(deps, merchantId, begun.answer.body) : begun.answer.body;
        return jsonResult(begun.answer.statusCode, body, { 'idempotent-replayed': 'true' });
      }
      case 'mismatch':
        throw errors.idempotencyKeyMismatch();
      case 'in_progress':
        throw errors.idempotencyKeyInUse();
    }
  },
  after: async (request) => {
    const held = request.context.paygate.idempotency;
    if (!held || held.committed || !request.response) return;
    await request.context.paygate.deps.store.completeIdempotent(held.lock, {
      statusCode: request.response.statusCode,
      body: request.context.paygate.storedBody ?? request.response.body,
    });
    held.committed = true;
  },
  onError: async (request) => {
    const state = request.context.paygate;
    const held = state.idempotency;
    if (!held || held.committed) return;
    const error = request.error;
    if (error instanceof ApiError && error.isRememberedByIdempotency) {
      const answer = errorAnswer(error, state.requestId);
      await state.deps.store.completeIdempotent(held.lock, { statusCode: answer.statusCode, body: answer.body });
    } else {
      await state.deps.store.releaseIdempotent(held.lock);
    }
    held.committed = true;
  },
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The windows a request counts against, by its route's rate-limit class. */
function rateWindows(state: PaygateContext['paygate'], event: HttpEvent): RateWindow[] {
  const limits = state.deps.settings.rateLimits;
  switch (state.route.rateLimit) {
    case null:
      return [];
    case 'payment':
      return [
        { key: `payment:${state.merchantId}`, limit: limits.paymentPerSecond, windowSeconds: 1 },
        { key: `payment:${state.merchantId}`, limit: limits.paymentPerHour, windowSeconds: 3600 },
      ];
    case 'transaction':
      return [{ key: `transaction:${state.merchantId}`, limit: limits.transactionPerSecond, windowSeconds: 1 }];
    case 'public':
      return [{ key: `public:${event.requestContext.http.sourceIp}`, limit: limits.publicPerSecond, windowSeconds: 1 }];
  }
}

/**
 * Rate limits, counted in the shared store (per merchant, or per client IP on public routes), all
 * windows of a request in one write. Runs after authentication and before idempotency, so a 429
 * takes no idempotency key.
 */
export const rateLimit = (): Middleware => ({
  before: async (request) => {
    const state = request.context.paygate;
    const nowMs = state.deps.clock.now().getTime();
    const windows = rateWindows(state, request.event);
    if (windows.length === 0) return;
    const decision = await state.deps.rateLimiter.hit(windows, nowMs);
    state.rateLimit = decision;
    if (!decision.allowed) throw errors.rateLimited(Math.max(1, decision.resetEpochSeconds - Math.floor(nowMs / 1000)));
  },
});

/**
 * The request hash is kept 24 hours beside the answer, so it must not be a plain hash of a card:
 * with last4, expiry and the BIN, a card number and CVV fall to brute force in seconds. On routes
 * that take cards, `card.number` and `card.cvv` enter the hash only as a keyed MAC of the vault.
 */
async function withCardDataKeyed(deps: Dependencies, merchantId: string, takesCards: boolean, body: unknown): Promise<unknown> {
  if (!takesCards || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const card = (body as Record<string, unknown>)['card'];
  if (typeof card !== 'object' || card === null || Array.isArray(card)) return body;
  const { number, cvv, ...rest } = card as Record<string, unknown>;
  const mac = await deps.vault.mac('request-hash', merchantId, JSON.stringify([number ?? null, cvv ?? null]));
  return { ...(body as Record<string, unknown>), card: { ...rest, keyed: mac.toString('base64') } };
}

/** JSON nested deeper than any request of the API is refused before anything recurses over it. */
const MAX_JSON_DEPTH = 20;

function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > limit) return true;
    } else if (c === '}' || c === ']') depth--;
  }
  return false;
}
