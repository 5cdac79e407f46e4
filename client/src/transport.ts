/**
 * One transport for every call: the operation's method and path from the generated table, the API
 * key, an Idempotency-Key per logical POST (the same on each of its retries), and bounded retries
 * with exponential backoff and jitter on what may clear by itself: 409 `idempotency_key_in_use`,
 * 429 (after its `Retry-After`), 5xx and network errors. Other 4xx are answers, never retried.
 */
import { randomUUID } from 'node:crypto';
import { ConnectionError, errorFromAnswer, PaygateError } from './errors.ts';
import { OPERATIONS, type OperationName } from './generated/operations.ts';

export const VERSION = '0.1.0';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<Response>;

export interface PaygateOptions {
  /** The gateway, e.g. `https://pay.example.com` (default `http://127.0.0.1:3000`, the local gateway). */
  baseUrl?: string;
  /** Retries after the first attempt (default 2; 0 turns them off). */
  maxRetries?: number;
  /** Milliseconds per attempt before it is abandoned (default 30,000). */
  timeout?: number;
  /** A fetch of your own (default: the global fetch). */
  fetch?: FetchLike;
  /** Backoff: the first retry waits about this long (ms, default 500), each next one twice as long. */
  initialRetryDelay?: number;
  /** Backoff cap (ms, default 8,000); a `Retry-After` above `maxRetryAfter` seconds (default 60) is not waited for. */
  maxRetryDelay?: number;
  maxRetryAfter?: number;
}

export interface RequestOptions {
  /** The key of this logical call; generated when not given, and sent again on each retry. */
  idempotencyKey?: string;
  maxRetries?: number;
  timeout?: number;
  signal?: AbortSignal;
}

export interface Call {
  path?: Record<string, string>;
  query?: Record<string, unknown> | undefined;
  body?: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Transport {
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #maxRetries: number;
  readonly #timeout: number;
  readonly #fetch: FetchLike;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #maxRetryAfter: number;

  constructor(apiKey: string, options: PaygateOptions = {}) {
    if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('new Paygate(apiKey): the API key (sk_test_... or sk_live_...) is required');
    this.#apiKey = apiKey;
    this.#baseUrl = (options.baseUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
    this.#maxRetries = options.maxRetries ?? 2;
    this.#timeout = options.timeout ?? 30_000;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#initialDelay = options.initialRetryDelay ?? 500;
    this.#maxDelay = options.maxRetryDelay ?? 8_000;
    this.#maxRetryAfter = options.maxRetryAfter ?? 60;
  }

  /** Calls an operation and answers its JSON, or throws a PaygateError. */
  async request<T>(name: OperationName, call: Call = {}, options: RequestOptions = {}): Promise<T> {
    const operation = OPERATIONS[name];
    const url = this.#baseUrl + this.#path(operation.path, call.path ?? {}) + queryString(call.query);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: 'application/json',
      'User-Agent': `paygate-node/${VERSION}`,
    };
    let body: string | undefined;
    if (operation.method === 'POST') {
      body = JSON.stringify(call.body ?? {});
      headers['Content-Type'] = 'application/json';
    }
    if (operation.idempotent) headers['Idempotency-Key'] = options.idempotencyKey ?? randomUUID();
    const maxRetries = options.maxRetries ?? this.#maxRetries;
    const timeout = options.timeout ?? this.#timeout;

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(url, { method: operation.method, headers, ...(body === undefined ? {} : { body }) }, timeout, options.signal);
      if (!(outcome instanceof PaygateError)) return outcome as T;
      const delay = this.#retryDelay(outcome, attempt);
      if (attempt >= maxRetries || delay === null || options.signal?.aborted) throw outcome;
      await sleep(delay);
    }
  }

  async #attempt(url: string, init: { method: string; headers: Record<string, string>; body?: string }, timeout: number, signal: AbortSignal | undefined): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.#fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (response.ok && json !== undefined) return json;
      return errorFromAnswer(response.status, json, response.headers);
    } catch (error) {
      const timedOut = controller.signal.aborted && !signal?.aborted;
      return new ConnectionError({
        message: timedOut ? `No answer from ${new URL(url).origin} within ${timeout} ms.` : `Could not reach ${new URL(url).origin}: ${(error as Error).message}`,
        type: 'connection_error',
        code: timedOut ? 'timeout' : 'connection_failed',
        raw: error,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Milliseconds to wait before retrying after `error`, or null when it is not worth retrying. */
  #retryDelay(error: PaygateError, attempt: number): number | null {
    const retryable =
      error instanceof ConnectionError ||
      (error.status !== undefined && error.status >= 500) ||
      error.status === 429 ||
      (error.status === 409 && error.code === 'idempotency_key_in_use');
    if (!retryable) return null;
    // Full jitter over the upper half: clients that failed together do not retry together.
    const backoff = Math.min(this.#maxDelay, this.#initialDelay * 2 ** attempt) * (0.5 + Math.random() / 2);
    if (error.retry_after !== undefined && (error.status === 429 || error.status === 503)) {
      if (error.retry_after > this.#maxRetryAfter) return null;
      return Math.max(error.retry_after * 1000, backoff);
    }
    return backoff;
  }

  #path(template: string, params: Record<string, string>): string {
    return template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (typeof value !== 'string' || value === '') throw new TypeError(`${template}: the ${name} is required`);
      return encodeURIComponent(value);
    });
  }
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) search.append(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
