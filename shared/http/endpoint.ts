import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Dependencies } from '../dependencies.ts';
import { ApiError, errors } from '../domain/errors.ts';
import type { IdempotentAnswer, Store, StoredAnswer } from '../ports.ts';
import type { RouteSpec } from '../routes.ts';
import type { AnswerRenderer } from './idempotency.ts';
import { authenticate, errorResponder, idempotency, jsonBody, knownRoute, rateLimit } from './middlewares.ts';
import { vaultLimitedTo } from '../adapters/vault/limited-vault.ts';
import { clientIp } from './client-ip.ts';
import { describeFirstIssue } from './validation-problems.ts';
import { errorAnswer, header, jsonResult, type HttpEvent, type HttpResult, type PaygateContext, type RequestState } from './types.ts';

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface EndpointInput<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  /** The authenticated merchant; null only on routes without API-key auth. */
  merchantId: string;
  deps: Dependencies;
  /**
   * When the request holds an idempotency key: what a command that writes passes to its commit,
   * so the answer is remembered in the same transaction as the change (see `present`).
   */
  idempotency: IdempotentAnswer | undefined;
  requestId: string;
  /** On client-secret routes: from the body's `client_secret`, the query, or `X-Client-Secret`. */
  clientSecret: string | undefined;
  /** The caller's IP address (the viewer's, behind the stage's CloudFront): on public routes, the shopper's. */
  clientIp: string;
}

/** An answer that is not JSON (the checkout page and its assets). */
export class RawAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  constructor(statusCode: number, headers: Record<string, string>, body: string) {
    this.statusCode = statusCode;
    this.headers = headers;
    this.body = body;
  }
}

/**
 * An answer that carries a secret: `live` goes to the caller, `stored` (the same with a
 * placeholder where the secret goes) is what an idempotency record keeps, and the endpoint's
 * `revealStoredAnswer` derives the secret again on replay. No secret is ever stored in clear.
 */
export class AnswerWithSecret {
  readonly live: unknown;
  readonly stored: unknown;
  constructor(live: unknown, stored: unknown) {
    this.live = live;
    this.stored = stored;
  }
}

/** Public routes are called from the checkout page's origin, or any: they carry no cookies, only the secret. */
export const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-client-secret',
  'access-control-max-age': '600',
};

export interface EndpointSpec<B extends Schema | undefined, P extends Schema | undefined, Q extends Schema | undefined, R = unknown> {
  route: RouteSpec;
  body?: B;
  params?: P;
  query?: Q;
  successStatus?: number;
  /** Any JSON body is accepted and not validated (the `$default` route: an unknown route is a 404, whatever it is sent). */
  ignoresBody?: true;
  /** For answers stored with a placeholder in place of a secret: puts it back on replay. */
  revealStoredAnswer?: (deps: Dependencies, merchantId: string, body: string) => Promise<string>;
  run(input: EndpointInput<Out<B>, Out<P>, Out<Q>>): Promise<R>;
  /**
   * Renders what `run` returned (a payment, an intent...) as the answer: its JSON, a RawAnswer,
   * or an AnswerWithSecret. The live answer and the remembered one both come from here, once.
   * Without it, `run` returns the answer itself.
   */
  present?(result: R, deps: Dependencies): unknown;
}

/** An endpoint: its route, its schemas and the one domain command it calls. */
export function defineEndpoint<B extends Schema | undefined = undefined, P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, R = unknown>(
  spec: EndpointSpec<B, P, Q, R>,
): EndpointSpec<B, P, Q, R> {
  return spec;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a spec of any schema shapes and result
export type AnyEndpoint = EndpointSpec<any, any, any, any>;

function parse<S extends Schema | undefined>(schema: S, value: unknown, where: 'body' | 'path' | 'query'): Out<S> {
  if (schema === undefined) {
    if (where === 'body' && value !== undefined && !(isPlainObject(value) && Object.keys(value).length === 0)) {
      throw errors.validation('This endpoint takes no request body.');
    }
    return undefined as Out<S>;
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data as Out<S>;
  if (where === 'path') throw errors.notFound('resource');
  if (where === 'body' && !isPlainObject(value ?? {})) throw errors.validation('The request body must be a JSON object.');
  const problem = describeFirstIssue(result.error, value ?? {}, schema);
  throw new ApiError(400, 'invalid_request_error', problem.code, problem.message, problem.param ? { param: problem.param } : {});
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An answer before it goes out: what is sent, and what an idempotency record keeps of it. */
interface Presented {
  live: unknown;
  stored: unknown;
}

/**
 * Builds the HTTP handler of an endpoint for one runtime's dependencies: a thin middy handler
 * (errors, body, auth, limits, validation, idempotency) inside a wrapper that stamps the request
 * id and writes the one structured log line of the request.
 */
export function buildHandler(spec: AnyEndpoint, allDeps: Dependencies): (event: HttpEvent, context?: Context) => Promise<HttpResult> {
  const successStatus = spec.successStatus ?? 200;
  // What IAM gives a read-only route in AWS (no put, no delete), enforced here too, so that the
  // local gateway and the tests fail the way AWS would if such a route ever wrote.
  // Likewise the vault: only the MAC purposes the route names (its function's KMS keys in AWS).
  const deps: Dependencies = {
    ...allDeps,
    store: spec.route.readsOnly ? readOnly(allDeps.store) : allDeps.store,
    vault: vaultLimitedTo(allDeps.vault, spec.route.macs ?? []),
  };

  // One rendering per result: the commit part and the live answer share it (and its secret derivations).
  const presented = new WeakMap<object, Promise<Presented>>();
  const present = (result: unknown): Promise<Presented> => {
    const render = async (): Promise<Presented> => {
      const output: unknown = spec.present ? await spec.present(result, deps) : result;
      return output instanceof AnswerWithSecret ? { live: output.live, stored: output.stored } : { live: output, stored: output };
    };
    if (typeof result !== 'object' || result === null) return render();
    let cached = presented.get(result);
    if (!cached) presented.set(result, (cached = render()));
    return cached;
  };
  const render: AnswerRenderer = async (result, requestId): Promise<StoredAnswer> => {
    if (result instanceof ApiError) {
      const answer = errorAnswer(result, requestId, deps.settings.publicUrl);
      return { statusCode: answer.statusCode, body: answer.body };
    }
    return { statusCode: successStatus, body: JSON.stringify((await present(result)).stored) };
  };

  const chain = middy<HttpEvent, HttpResult, Error, PaygateContext>()
    .use(errorResponder())
    .use(knownRoute())
    .use(jsonBody())
    .use(authenticate())
    .use(rateLimit())
    .use({
      // Validation before the idempotency claim: a 400 costs no write and takes no key.
      before: (request) => {
        const state = request.context.paygate;
        state.input = {
          body: spec.ignoresBody ? undefined : parse(spec.body, state.body, 'body'),
          params: parse(spec.params, request.event.pathParameters, 'path'),
          query: parse(spec.query, request.event.queryStringParameters, 'query'),
        };
      },
    })
    .use(idempotency({ render, revealStoredAnswer: spec.revealStoredAnswer }))
    .handler(async (event, context) => {
      const state = context.paygate;
      const input = state.input!;
      const result: unknown = await spec.run({
        body: input.body,
        params: input.params,
        query: input.query,
        merchantId: state.merchantId ?? '',
        deps,
        idempotency: state.idempotency ?? undefined,
        requestId: state.requestId,
        clientSecret: spec.route.auth === 'client_secret' ? presentedClientSecret(event, state.body) : undefined,
        clientIp: clientIp(event, deps.settings.edgeOriginSecret),
      });
      const { live } = await present(result);
      if (live instanceof RawAnswer) return { statusCode: live.statusCode, headers: { ...live.headers }, body: live.body };
      await state.idempotency?.answered(result);
      return jsonResult(successStatus, JSON.stringify(live));
    });

  return async (event, lambdaContext) => {
    const startedAt = performance.now();
    const state: RequestState = {
      requestId: deps.ids.next('request'),
      route: spec.route,
      deps,
      merchantId: null,
      body: undefined,
      idempotency: null,
      input: null,
      replayed: false,
      errorCode: null,
      rateLimit: null,
    };
    const context = Object.assign(Object.create(lambdaContext ?? null) as Context, { paygate: state }) as PaygateContext;
    let result: HttpResult;
    try {
      result = await chain(event, context);
    } catch (error) {
      // A failure inside the error path itself (the store down while releasing a key, say).
      deps.logger.log('error', 'error while answering an error', {
        request_id: state.requestId,
        error_name: error instanceof Error ? error.name : typeof error,
        error_message: error instanceof Error ? error.message : undefined,
      });
      state.errorCode = 'internal_error';
      result = errorAnswer(errors.internal(), state.requestId, deps.settings.publicUrl);
    }
    result.headers = {
      ...result.headers,
      'x-request-id': state.requestId,
      ...rateLimitHeaders(state),
      ...(spec.route.auth === 'client_secret' ? CORS_HEADERS : {}),
    };
    deps.logger.log(result.statusCode >= 500 ? 'error' : 'info', 'request', {
      request_id: state.requestId,
      method: spec.route.method,
      route: spec.route.path,
      status: result.statusCode,
      duration_ms: Math.round(performance.now() - startedAt),
      merchant_id: state.merchantId,
      error_code: state.errorCode,
      idempotent_replayed: state.replayed || undefined,
    });
    return result;
  };
}

function rateLimitHeaders(state: RequestState): Record<string, string> {
  if (!state.rateLimit) return {};
  return {
    'x-ratelimit-limit': String(state.rateLimit.limit),
    'x-ratelimit-remaining': String(state.rateLimit.remaining),
    'x-ratelimit-reset': String(state.rateLimit.resetEpochSeconds),
  };
}

function presentedClientSecret(event: HttpEvent, body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['client_secret'] === 'string') {
    return (body as Record<string, string>)['client_secret'];
  }
  return event.queryStringParameters?.['client_secret'] ?? header(event, 'x-client-secret');
}

/**
 * Which store methods only read: a `readsOnly` route may call these and no other. Every method of
 * the store is named here, so a new one cannot be called by a read-only route without a decision.
 */
const STORE_METHOD_READS: Readonly<Record<keyof Store, boolean>> = {
  ping: true,
  getMerchant: true,
  findApiKey: true,
  getPayment: true,
  getTransaction: true,
  listTransactions: true,
  listPayments: true,
  getIntent: true,
  listIntents: true,
  getEvent: true,
  listEvents: true,
  getWebhookEndpoint: true,
  listWebhookEndpoints: true,
  getDelivery: true,
  listDeliveries: true,
  createMerchant: false,
  addApiKey: false,
  revokeApiKey: false,
  commitPayment: false,
  adoptLegacyPaymentLists: false,
  beginIdempotent: false,
  completeIdempotent: false,
  releaseIdempotent: false,
  createIntent: false,
  updateIntent: false,
  createWebhookEndpoint: false,
  replaceWebhookSecrets: false,
  deleteWebhookEndpoint: false,
  createDelivery: false,
  saveDelivery: false,
  adoptLegacyDeliveries: false,
  scheduleWork: false,
  claimDueWork: false,
  completeWork: false,
  adoptLegacyWork: false,
  readFraudSignals: true,
  getFraudThresholds: true,
  getBlockListEntry: true,
  listBlockList: true,
  saveFraudThresholds: false,
  addBlockListEntry: false,
  removeBlockListEntry: false,
};
const READING_STORE_METHODS: ReadonlySet<keyof Store> = new Set((Object.keys(STORE_METHOD_READS) as (keyof Store)[]).filter((method) => STORE_METHOD_READS[method]));

function readOnly(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!READING_STORE_METHODS.has(property as keyof Store)) {
        return () => Promise.reject(new Error(`a read-only route may not call the store's ${String(property)}`));
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}
