import { redact } from '../logger.ts';

/**
 * The one error family of the API. Domain code throws these; one middleware turns them into HTTP.
 * Messages are written for merchants and never carry request data (no card number can leak here).
 */
export const ERROR_TYPES = ['invalid_request_error', 'authentication_error', 'card_error', 'idempotency_error', 'rate_limit_error', 'api_error'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export interface ErrorDetails {
  param?: string;
  declineCode?: string;
  paymentId?: string;
  /** Seconds, for 429 answers. */
  retryAfterSeconds?: number;
  /** A conflict that will clear (another request is in flight): never remembered by idempotency. */
  transient?: boolean;
  /** The methods a path takes, for 405 answers (the `Allow` header). */
  allow?: readonly string[];
}

export interface ErrorBody {
  error: {
    type: ErrorType;
    code: string;
    message: string;
    param?: string;
    decline_code?: string;
    payment_id?: string;
    request_id?: string;
    /** The API reference's anchor for this code. */
    doc_url?: string;
  };
}

/** Where the API reference explains an error code (the `/docs` page of the gateway at `publicUrl`). */
export function errorDocUrl(publicUrl: string, code: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/docs/errors#${code}`;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(status: number, type: ErrorType, code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.code = code;
    this.details = details;
  }

  /** Errors of the payment state machine and of the card network are answers worth remembering. */
  get isRememberedByIdempotency(): boolean {
    if (this.details.transient) return false;
    return this.status === 402 || STATE_ERROR_CODES.has(this.code);
  }

  toBody(requestId?: string, publicUrl?: string): ErrorBody {
    // A message or a param may echo the caller's input (an unknown field's name): never a card in clear.
    const body: ErrorBody = { error: { type: this.type, code: this.code, message: redact(this.message) } };
    if (this.details.param !== undefined) body.error.param = redact(this.details.param);
    if (this.details.declineCode !== undefined) body.error.decline_code = this.details.declineCode;
    if (this.details.paymentId !== undefined) body.error.payment_id = this.details.paymentId;
    if (requestId !== undefined) body.error.request_id = requestId;
    if (publicUrl !== undefined) body.error.doc_url = errorDocUrl(publicUrl, this.code);
    return body;
  }
}

const STATE_ERROR_CODES = new Set([
  'already_captured',
  'already_voided',
  'already_refunded',
  'amount_too_high',
  'authorization_expired',
  'not_captured',
  'already_completed',
  'invalid_state',
]);

const invalid = (code: string, message: string, param?: string) =>
  new ApiError(400, 'invalid_request_error', code, message, param === undefined ? {} : { param });

export const errors = {
  invalidJson: (why?: string) => invalid('invalid_json', why ? `The request body is not valid JSON: ${why}.` : 'The request body is not valid JSON.'),
  validation: (message: string, param?: string) => invalid('validation_error', message, param),
  invalidAmount: (message: string, param = 'amount') => invalid('invalid_amount', message, param),
  unsupportedCurrency: () =>
    invalid('unsupported_currency', 'The currency must be one of USD, EUR, MAD.', 'currency'),
  invalidCardNumber: () => invalid('invalid_card_number', 'The card number is not a valid card number.', 'card.number'),
  invalidExpiry: (param = 'card.exp_month') => invalid('invalid_expiry', 'The card expiry date is invalid or in the past.', param),
  invalidCvv: () => invalid('invalid_cvv', 'The card security code is invalid.', 'card.cvv'),
  invalidUrl: (param: string) => invalid('invalid_url', 'The URL must use https (http is allowed only for localhost and 127.0.0.1).', param),

  alreadyCaptured: () => invalid('already_captured', 'The payment has already been captured.'),
  alreadyVoided: () => invalid('already_voided', 'The payment has already been voided.'),
  alreadyRefunded: () => invalid('already_refunded', 'The payment has already been fully refunded.'),
  amountTooHigh: (message: string) => invalid('amount_too_high', message, 'amount'),
  authorizationExpired: () => invalid('authorization_expired', 'The authorization has expired and can no longer be captured.'),
  notCaptured: () => invalid('not_captured', 'The payment has not been captured, so there is nothing to refund.'),
  alreadyCompleted: () => invalid('already_completed', 'The payment intent has already been completed.'),
  invalidState: (message: string) => new ApiError(409, 'invalid_request_error', 'invalid_state', message),
  /** The same 409 for a race that will clear: a retry with the same Idempotency-Key runs again. */
  busy: (message: string) => new ApiError(409, 'invalid_request_error', 'invalid_state', message, { transient: true }),

  missingApiKey: () =>
    new ApiError(401, 'authentication_error', 'missing_api_key', 'No API key was provided. Use "Authorization: Bearer sk_..." or "X-API-Key".'),
  invalidApiKey: (message = 'The API key is invalid or has been revoked.') => new ApiError(401, 'authentication_error', 'invalid_api_key', message),
  invalidClientSecret: () => new ApiError(401, 'authentication_error', 'invalid_client_secret', 'The client secret is invalid.'),

  cardDeclined: (declineCode: string, paymentId: string) =>
    new ApiError(402, 'card_error', 'card_declined', DECLINE_MESSAGES[declineCode] ?? 'Your card was declined.', {
      declineCode,
      paymentId,
    }),
  fraudDeclined: (paymentId: string) =>
    new ApiError(402, 'card_error', 'fraud_declined', 'The payment was declined because it was flagged as high risk.', {
      declineCode: 'fraudulent',
      paymentId,
    }),

  intentExpired: () => new ApiError(410, 'invalid_request_error', 'intent_expired', 'This payment intent has expired. Ask the merchant for a new checkout link.'),
  maxAttemptsExceeded: () =>
    new ApiError(410, 'invalid_request_error', 'max_attempts_exceeded', 'Too many failed payment attempts for this payment intent.'),
  testModeOnly: () =>
    new ApiError(403, 'invalid_request_error', 'test_mode_only', 'Test helpers take a test key (sk_test_...): this gateway issues live keys.'),
  notFound: (what: string) => new ApiError(404, 'invalid_request_error', 'resource_not_found', `No such ${what}.`),
  /** No route has this path: the message names what was asked and, when one is close, the route meant. */
  routeNotFound: (method: string, path: string, nearest?: { method: string; path: string } | null) =>
    new ApiError(404, 'invalid_request_error', 'route_not_found',
      `No route for ${method} ${shown(path)}.${nearest ? ` Did you mean ${nearest.method} ${nearest.path}?` : ' The routes are listed in the API reference (/api/openapi.json).'}`),
  methodNotAllowed: (method: string, path: string, allow: readonly string[]) =>
    new ApiError(405, 'invalid_request_error', 'method_not_allowed', `${method} is not allowed on ${path}: it takes ${allow.join(', ')}.`, { allow }),
  unsupportedMediaType: () =>
    new ApiError(415, 'invalid_request_error', 'unsupported_media_type',
      "Send the request body as JSON with \"Content-Type: application/json\" (curl -d sends a form body unless given -H 'Content-Type: application/json')."),
  idempotencyKeyMismatch: () =>
    new ApiError(409, 'idempotency_error', 'idempotency_key_mismatch',
      'This Idempotency-Key was already used with a different request body or endpoint.'),
  idempotencyKeyInUse: () =>
    new ApiError(409, 'idempotency_error', 'idempotency_key_in_use',
      'A request with this Idempotency-Key is still being processed. Retry later.'),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(429, 'rate_limit_error', 'rate_limit_exceeded', 'Too many requests. Retry after the time in the Retry-After header.', {
      retryAfterSeconds,
    }),
  payloadTooLarge: () => new ApiError(413, 'invalid_request_error', 'payload_too_large', 'The request body is larger than 64 KiB.'),
  internal: () => new ApiError(500, 'api_error', 'internal_error', 'An internal error occurred. It has been logged; retrying is safe.'),
  serviceUnavailable: (retryAfterSeconds = 1) =>
    new ApiError(503, 'api_error', 'service_unavailable', 'The service is temporarily unavailable. Retry after the time in the Retry-After header; retrying is safe.', {
      retryAfterSeconds,
    }),
};

/** A path as an error message may show it: the caller's own text, cut short (redaction of card numbers is toBody's). */
function shown(path: string): string {
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}

const DECLINE_MESSAGES: Record<string, string> = {
  do_not_honor: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Try again.',
};
