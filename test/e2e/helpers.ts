/**
 * What the end-to-end files share: cards, request bodies, a merchant's client that checks the
 * envelope every answer must have (API.md, "Errors" and "Request ids and logs"), and onboarding
 * through the admin API.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { ADMIN_KEY, client } from '../support/gateway.ts';

export type Call = ReturnType<typeof client>;
export type Answer = Awaited<ReturnType<Call>>;

/** Cards expire relative to today, so the suite does not rot. */
export const THIS_YEAR = new Date().getUTCFullYear();
export const EXP_YEAR = THIS_YEAR + 3;

export const VISA = '4242424242424242';
export const MASTERCARD = '5555555555554444';
export const AMEX = '378282246310005';

export function card(number: string, overrides: Record<string, unknown> = {}) {
  return { number, exp_month: 12, exp_year: EXP_YEAR, cvv: '123', ...overrides };
}

export function paymentBody(overrides: Record<string, unknown> = {}) {
  return { amount: 1000, currency: 'USD', card: card(VISA), ...overrides };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 text (for API keys and idempotency keys nobody else uses). */
export function base62(length: number): string {
  return Array.from(randomBytes(length), (b) => BASE62[b % 62]).join('');
}

/**
 * Rate limits (API.md, "Rate limits") are not what these files test, and a suite that runs through
 * its requests as fast as it can would trip them: the gateways here get limits nobody reaches.
 */
export const UNTHROTTLED: Record<string, string> = {
  RATE_LIMIT_PAYMENT_PER_SECOND: '1000000',
  RATE_LIMIT_PAYMENT_PER_HOUR: '100000000',
  RATE_LIMIT_TRANSACTION_PER_SECOND: '1000000',
  // Tests send many wrong keys and onboard many merchants from 127.0.0.1 (test/e2e/guessing-keys.test.ts tests these limits).
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000',
  RATE_LIMIT_ADMIN_PER_MINUTE: '1000000',
};

export const uniqueKey = (label: string) => `${label}-${base62(16)}`;

/** The error type each code comes with (API.md, "Errors"). */
const TYPE_OF_CODE: Record<string, string> = {
  invalid_json: 'invalid_request_error',
  validation_error: 'invalid_request_error',
  invalid_amount: 'invalid_request_error',
  unsupported_currency: 'invalid_request_error',
  invalid_card_number: 'invalid_request_error',
  invalid_expiry: 'invalid_request_error',
  invalid_cvv: 'invalid_request_error',
  already_captured: 'invalid_request_error',
  already_voided: 'invalid_request_error',
  already_refunded: 'invalid_request_error',
  amount_too_high: 'invalid_request_error',
  not_captured: 'invalid_request_error',
  resource_not_found: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  invalid_state: 'invalid_request_error',
  missing_api_key: 'authentication_error',
  invalid_api_key: 'authentication_error',
  card_declined: 'card_error',
  fraud_declined: 'card_error',
  idempotency_key_mismatch: 'idempotency_error',
  idempotency_key_in_use: 'idempotency_error',
};

/**
 * What every answer must be, whatever was asked: never a 5xx, an X-Request-Id, and for errors the
 * contract's body with type, code, message and the request id (the header's, unless replayed).
 */
export function expectContractEnvelope(answer: Answer, what: string): void {
  expect(answer.status, `${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
  const requestId = answer.headers.get('x-request-id');
  expect(requestId ?? '(no X-Request-Id header)', `${what}: X-Request-Id`).toMatch(/^req_[0-9A-Za-z]{20,}$/);
  if (answer.status < 400) return;
  expect(answer.body, `${what}: error body`).toMatchObject({
    error: {
      type: expect.any(String),
      code: expect.any(String),
      message: expect.any(String),
      request_id: expect.stringMatching(/^req_[0-9A-Za-z]{20,}$/),
    },
  });
  expect(answer.body.error.doc_url, `${what}: doc_url`).toMatch(new RegExp(`^http://localhost:\\d+/docs/errors#${String(answer.body.error.code)}$`));
  if (answer.headers.get('idempotent-replayed') !== 'true') {
    expect(answer.body.error.request_id, `${what}: body request_id vs X-Request-Id`).toBe(requestId);
  }
}

/** A merchant's client (see test/support/gateway.ts) that checks the envelope of every answer. */
export function checkedClient(baseUrl: string, apiKey?: string): Call {
  const call = client(baseUrl, apiKey);
  return async (method, path, body, headers) => {
    const answer = await call(method, path, body, headers);
    expectContractEnvelope(answer, `${method} ${path}`);
    return answer;
  };
}

/** Asserts an error answer: status, code, the code's type, and optionally param and more fields. */
export function expectError(answer: Answer, status: number, code: string, extra: Record<string, unknown> = {}): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({
    status,
    body: { error: { code, type: TYPE_OF_CODE[code] ?? expect.any(String), ...extra } },
  });
}

export interface OnboardedMerchant {
  id: string;
  apiKey: string;
  apiKeyId: string;
  call: Call;
}

/** Onboards a merchant through the admin API, as an operator would. */
export async function onboardMerchant(baseUrl: string, name: string): Promise<OnboardedMerchant> {
  const admin = checkedClient(baseUrl, ADMIN_KEY);
  const created = await admin('POST', '/api/admin/merchants', { name });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { id, api_key: apiKey, api_key_id: apiKeyId } = created.body as { id: string; api_key: string; api_key_id: string };
  return { id, apiKey, apiKeyId, call: checkedClient(baseUrl, apiKey) };
}

/** All of a merchant's transactions, newest first (at most 100: enough for one test's merchant). */
export async function allTransactions(call: Call, query = ''): Promise<Array<Record<string, unknown>>> {
  const answer = await call('GET', `/api/v1/transactions?limit=100${query}`);
  expect(answer.status).toBe(200);
  expect(answer.body.has_more, 'a test merchant outgrew one page of transactions').toBe(false);
  return answer.body.data as Array<Record<string, unknown>>;
}

/**
 * One payment's transactions, newest first. The merchant's list is read newest first, page by page,
 * until it reaches transactions older than the payment: none of the payment's can be further on.
 */
export async function transactionsOf(call: Call, payment: { id: string; created_at: string }): Promise<Array<Record<string, unknown>>> {
  const createdAt = Date.parse(payment.created_at);
  const found: Array<Record<string, unknown>> = [];
  for (let offset = 0; ; offset += 25) {
    const answer = await call('GET', `/api/v1/transactions?limit=25&offset=${offset}`);
    expect(answer.status).toBe(200);
    const page = answer.body.data as Array<Record<string, unknown>>;
    found.push(...page.filter((t) => t['payment_id'] === payment.id));
    const oldest = page.at(-1);
    if (!answer.body.has_more || oldest === undefined || Date.parse(oldest['created_at'] as string) < createdAt) return found;
  }
}

/** Polls `probe` every 100 ms until it answers something other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
