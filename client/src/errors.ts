/**
 * One error base class and one factory that picks the class from the answer's `type` (as
 * stripe-node does), so callers can `catch (e) { if (e instanceof CardError) ... }`.
 */
import type { ErrorBody, ErrorType } from './types.ts';

export interface PaygateErrorFields {
  message: string;
  /** The HTTP status; absent when no answer came (ConnectionError). */
  status?: number | undefined;
  type: string;
  code: string;
  decline_code?: string | undefined;
  param?: string | undefined;
  payment_id?: string | undefined;
  request_id?: string | undefined;
  doc_url?: string | undefined;
  /** Seconds, from a 429's or 503's `Retry-After`. */
  retry_after?: number | undefined;
  /** The error body as the gateway sent it. */
  raw?: unknown;
}

export class PaygateError extends Error {
  readonly status: number | undefined;
  readonly type: string;
  readonly code: string;
  readonly decline_code: string | undefined;
  readonly param: string | undefined;
  readonly payment_id: string | undefined;
  readonly request_id: string | undefined;
  readonly doc_url: string | undefined;
  readonly retry_after: number | undefined;
  readonly raw: unknown;

  constructor(fields: PaygateErrorFields) {
    super(fields.message);
    this.name = new.target.name;
    this.status = fields.status;
    this.type = fields.type;
    this.code = fields.code;
    this.decline_code = fields.decline_code;
    this.param = fields.param;
    this.payment_id = fields.payment_id;
    this.request_id = fields.request_id;
    this.doc_url = fields.doc_url;
    this.retry_after = fields.retry_after;
    this.raw = fields.raw;
  }
}

/** 402: the card was declined (`decline_code`), or the fraud rules declined it; `payment_id` names the failed payment. */
export class CardError extends PaygateError {}
/** 400, 404, 405, 409 `invalid_state`, 410, 413, 415: the request cannot succeed as sent. */
export class InvalidRequestError extends PaygateError {}
/** 401: a missing, malformed, unknown or revoked key. */
export class AuthenticationError extends PaygateError {}
/** 403: the key lacks the permission. */
export class PermissionError extends PaygateError {}
/** 429, after the client's own retries. */
export class RateLimitError extends PaygateError {}
/** 409: the Idempotency-Key was used with another body, or is still in use (after the client's retries). */
export class IdempotencyError extends PaygateError {}
/** 5xx, or an answer that is not the API's. */
export class APIError extends PaygateError {}
/** No answer: the connection failed, or the call timed out (after the client's retries). */
export class ConnectionError extends PaygateError {}

/** Each error type of the API, by class: a type the API adds and this table lacks fails the typecheck. */
const CLASS_OF_TYPE: Record<ErrorType, typeof PaygateError> = {
  card_error: CardError,
  invalid_request_error: InvalidRequestError,
  authentication_error: AuthenticationError,
  rate_limit_error: RateLimitError,
  idempotency_error: IdempotencyError,
  api_error: APIError,
};

/** Types API.md names that the gateway may not answer yet: known here too. */
const OTHER_CLASSES: Record<string, typeof PaygateError> = { permission_error: PermissionError };

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as { error?: { type?: unknown; code?: unknown } } | null)?.error;
  return typeof error?.type === 'string' && typeof error.code === 'string';
}

/** The error of an answer that was not a success. */
export function errorFromAnswer(status: number, body: unknown, headers: { get(name: string): string | null }): PaygateError {
  const retryAfter = Number(headers.get('retry-after') ?? NaN);
  const requestId = headers.get('x-request-id') ?? undefined;
  if (!isErrorBody(body)) {
    return new APIError({ message: `The gateway answered ${status} without an error body.`, status, type: 'api_error', code: 'unexpected_answer', request_id: requestId, raw: body });
  }
  const e = body.error as ErrorBody['error'] & Record<string, unknown>;
  const Class = (CLASS_OF_TYPE as Record<string, typeof PaygateError>)[e.type] ?? OTHER_CLASSES[e.type] ?? (status >= 500 ? APIError : InvalidRequestError);
  return new Class({
    message: e.message,
    status,
    type: e.type,
    code: e.code,
    decline_code: e.decline_code,
    param: e.param,
    payment_id: e.payment_id,
    request_id: e.request_id ?? requestId,
    doc_url: e.doc_url,
    retry_after: Number.isFinite(retryAfter) ? retryAfter : undefined,
    raw: body,
  });
}
