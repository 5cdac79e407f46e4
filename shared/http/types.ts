import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ApiError } from '../domain/errors.ts';
import type { Dependencies } from '../dependencies.ts';
import type { RouteSpec } from '../routes.ts';
import type { RateDecision } from '../ports.ts';
import type { HeldKey } from './idempotency.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string; headers: Record<string, string> };

/** What the middlewares learn about one request, shared along the chain. */
export interface RequestState {
  requestId: string;
  route: RouteSpec;
  deps: Dependencies;
  merchantId: string | null;
  body: unknown;
  /** The idempotency key this request holds, if it came with one (POST under /api/v1/). */
  idempotency: HeldKey | null;
  /** The request's body, path and query, validated by the endpoint's schemas (before any key is claimed). */
  input: { body: unknown; params: unknown; query: unknown } | null;
  replayed: boolean;
  errorCode: string | null;
  /** The binding rate-limit window of this request, for the X-RateLimit-* headers. */
  rateLimit: RateDecision | null;
}

export type PaygateContext = Context & { paygate: RequestState };

/** Every JSON answer: never cached (answers hold customers' emails, secrets shown once...). */
export function jsonResult(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } };
}

/** Every error answer, live or remembered: the contract's shape, the request id, Retry-After when the error has one. */
export function errorAnswer(error: ApiError, requestId: string, publicUrl: string): HttpResult {
  const headers: Record<string, string> = {};
  if (error.details.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.details.retryAfterSeconds);
  if (error.details.allow !== undefined) headers['allow'] = error.details.allow.join(', ');
  return jsonResult(error.status, JSON.stringify(error.toBody(requestId, publicUrl)), headers);
}

/** Header lookup that does not care about case (API Gateway v2 lowercases, node:http too, tests may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
