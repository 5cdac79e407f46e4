import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { IdempotencyContext } from '../commands/payments.ts';
import type { Dependencies } from '../dependencies.ts';
import type { RouteSpec } from '../routes.ts';
import type { RateDecision } from '../ports.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string; headers: Record<string, string> };

/** What the middlewares learn about one request, shared along the chain. */
export interface RequestState {
  requestId: string;
  route: RouteSpec;
  deps: Dependencies;
  merchantId: string | null;
  body: unknown;
  idempotency: IdempotencyContext | null;
  replayed: boolean;
  errorCode: string | null;
  /** What an idempotency record keeps of the answer when it is not the answer itself (AnswerWithSecret). */
  storedBody: string | null;
  /** The binding rate-limit window of this request, for the X-RateLimit-* headers. */
  rateLimit: RateDecision | null;
}

export type PaygateContext = Context & { paygate: RequestState };

export function jsonResult(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/** Header lookup that does not care about case (API Gateway v2 lowercases, node:http too, tests may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
