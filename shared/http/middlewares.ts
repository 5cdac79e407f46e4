import type { MiddlewareObj } from '@middy/core';
import { authenticateApiKey, limitAdminCaller } from '../commands/merchants.ts';
import { ApiError, errors } from '../domain/errors.ts';
import { IdempotencyLockLostError, type RateWindow } from '../ports.ts';
import type { Dependencies } from '../dependencies.ts';
import { clientIp } from './client-ip.ts';
import { claimKey, withCardDataKeyed, type AnswerRenderer } from './idempotency.ts';
import { ROUTES } from '../routes.ts';
import { resolveRoute } from './route-resolution.ts';
import { errorAnswer, header, jsonResult, type HttpEvent, type HttpResult, type PaygateContext } from './types.ts';

type Middleware = MiddlewareObj<HttpEvent, HttpResult, Error, PaygateContext>;

export const MAX_BODY_BYTES = 64 * 1024;

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
    request.response = errorAnswer(apiError, state.requestId, state.deps.settings.publicUrl);
  },
});

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** The store answered but would not serve the request now (throttled): also a 503 to retry. */
const BUSY_ERRORS = new Set(['TimeoutError', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

/** The store (or its network) did not answer: a 503 the caller may retry, not a 500. */
function storeUnreachable(error: Error | null | undefined): boolean {
  if (!error || error instanceof ApiError) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || BUSY_ERRORS.has(error.name);
}

/** The path `$default` stands for in the route table's terms: no route of the contract has it. */
export const DEFAULT_ROUTE_PATH = '$default';

const ROUTE_LIST = Object.values(ROUTES);

/**
 * The route a method and path mean, checked in every runtime: a path whose most specific route
 * takes other methods is a 405 with `Allow` (API Gateway hands `GET /api/v1/payments/authorize`
 * to `GET /api/v1/payments/{id}`: a payment called "authorize" is not what was meant), and the
 * `$default` function answers a 404 naming the nearest route.
 */
export const knownRoute = (): Middleware => ({
  before: (request) => {
    const { route } = request.context.paygate;
    const method = request.event.requestContext.http.method;
    const path = request.event.rawPath;
    if (typeof path !== 'string') return;
    const resolution = resolveRoute(ROUTE_LIST, method, path);
    if (resolution.kind === 'method_not_allowed') throw errors.methodNotAllowed(method, resolution.path, resolution.allow);
    if (route.path !== DEFAULT_ROUTE_PATH) return;
    // Here API Gateway matched no route. Ours may still match: a trailing slash, which API Gateway does not strip.
    const nearest = resolution.kind === 'route' ? { method: resolution.route.method, path: resolution.route.path } : resolution.nearest;
    throw errors.routeNotFound(method, path, nearest);
  },
});

/** Reads the body: at most 64 KiB, JSON only. The raw body is never kept in an error or a log. */
export const jsonBody = (): Middleware => ({
  before: (request) => {
    const { event } = request;
    if (event.body === undefined || event.body === null || event.body === '') {
      request.context.paygate.body = undefined;
      return;
    }
    // A form body is JSON sent without its content type (curl -d) or not JSON at all: say so, not "invalid JSON".
    const contentType = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (contentType === 'application/x-www-form-urlencoded' || contentType === 'multipart/form-data') throw errors.unsupportedMediaType();
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (raw.length > MAX_BODY_BYTES) throw errors.payloadTooLarge();
    const text = raw.toString('utf8');
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw errors.validation(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw errors.invalidJson();
    }
    // JSON that parses but that no field can hold: numbers beyond a double (1e400) and strings
    // that are not Unicode (a lone surrogate). Refused here, before anything hashes or stores them.
    if (!representable(body)) throw errors.invalidJson('numbers must be finite and strings valid Unicode');
    request.context.paygate.body = body;
  },
});

function representable(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(representable);
  if (typeof value === 'object' && value !== null) return Object.entries(value).every(([k, v]) => k.isWellFormed() && representable(v));
  return true;
}

/** API-key and admin authentication, as the route table says. */
export const authenticate = (): Middleware => ({
  before: async (request) => {
    const state = request.context.paygate;
    switch (state.route.auth) {
      case 'none':
      case 'client_secret':
        return;
      case 'admin':
        await limitAdminCaller(state.deps, clientIp(request.event, state.deps.settings.edgeOriginSecret));
        if (!state.deps.isAdmin(request.event)) throw errors.invalidApiKey();
        return;
      case 'api_key': {
        const key = presentedApiKey(request.event);
        if (key === undefined) throw errors.missingApiKey();
        state.merchantId = await authenticateApiKey(state.deps, key, clientIp(request.event, state.deps.settings.edgeOriginSecret));
        return;
      }
    }
  },
});

/**
 * The API key, as API.md accepts it: `Authorization: Bearer <key>`, HTTP Basic with the key as
 * user name and an empty password (what `curl -u sk_test_...:` sends), or `X-API-Key: <key>`.
 * An Authorization header of any other form is refused, not guessed at.
 */
function presentedApiKey(event: HttpEvent): string | undefined {
  const authorization = header(event, 'authorization')?.trim();
  if (authorization) {
    const [scheme = '', credentials = '', ...rest] = authorization.split(/\s+/);
    if (rest.length === 0 && /^bearer$/i.test(scheme) && credentials) return credentials;
    if (rest.length === 0 && /^basic$/i.test(scheme) && credentials) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0 && decoded.slice(colon + 1) === '') return decoded.slice(0, colon);
    }
    throw errors.invalidApiKey('Use "Authorization: Bearer sk_...", HTTP Basic with the key as user name and no password, or "X-API-Key: sk_...".');
  }
  const apiKey = header(event, 'x-api-key')?.trim();
  return apiKey ? apiKey : undefined;
}

/**
 * The front door of the idempotency engine (./idempotency.ts), on POST under /api/v1/: claims the
 * key after validation (a 400 takes no key), answers a replay, and settles the claim of a request
 * that failed (the handler settles a success: see `HeldKey.answered`).
 */
export const idempotency = (options: {
  render: AnswerRenderer;
  revealStoredAnswer?: ((deps: Dependencies, merchantId: string, body: string) => Promise<string>) | undefined;
}): Middleware => ({
  before: async (request) => {
    const state = request.context.paygate;
    const key = header(request.event, 'idempotency-key');
    if (key === undefined || state.route.method !== 'POST' || !state.route.path.startsWith('/api/v1/')) return;
    const merchantId = state.merchantId;
    if (merchantId === null) return;
    const { deps } = state;
    const claim = await claimKey(
      deps,
      {
        key,
        merchantId,
        method: request.event.requestContext.http.method,
        path: request.event.rawPath,
        hashableBody: await withCardDataKeyed(deps, merchantId, state.route.takesCards === true, state.body ?? {}),
      },
      state.requestId,
      options.render,
    );
    if (claim.outcome === 'held') {
      state.idempotency = claim.key;
      return;
    }
    state.replayed = true;
    const body = options.revealStoredAnswer ? await options.revealStoredAnswer(deps, merchantId, claim.answer.body) : claim.answer.body;
    return jsonResult(claim.answer.statusCode, body, { 'idempotent-replayed': 'true' });
  },
  onError: async (request) => {
    await request.context.paygate.idempotency?.failed(request.error);
  },
});

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
      return [{ key: `public:${clientIp(event, state.deps.settings.edgeOriginSecret)}`, limit: limits.publicPerSecond, windowSeconds: 1 }];
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
