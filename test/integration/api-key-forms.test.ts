/**
 * How a merchant presents an API key (API.md, "Authentication"): Bearer, HTTP Basic with the key
 * as user name and no password (curl -u sk_test_...:), or X-API-Key; anything else is a 401, not
 * a guess. And no JSON answer may be cached by a browser or a proxy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { endpoint as listTransactions } from '../../functions/transactions/list-transactions.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { buildHandler } from '../../shared/http/endpoint.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let apiKey: string;

beforeAll(async () => {
  deps = await testDependencies();
  apiKey = (await createMerchant(deps, 'Key Forms Merchant')).key.apiKey;
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const list = (headers: Record<string, string>) => buildHandler(listTransactions, deps)(httpEvent({ method: 'GET', path: '/api/v1/transactions', headers }));

describe('presenting an API key', () => {
  it.each([
    ['Authorization: Bearer', () => ({ authorization: `Bearer ${apiKey}` })],
    ['Authorization: bearer, any case, extra spaces', () => ({ authorization: `  bearer   ${apiKey} ` })],
    ['HTTP Basic with the key as user name and no password', () => ({ authorization: basic(apiKey, '') })],
    ['X-API-Key', () => ({ 'x-api-key': apiKey })],
  ])('accepts %s', async (_, headers) => {
    const answer = await list(headers());
    expect(answer.statusCode, answer.body).toBe(200);
  });

  it.each([
    ['the bare key without a scheme', () => ({ authorization: apiKey })],
    ['HTTP Basic with a password', () => ({ authorization: basic(apiKey, 'secret') })],
    ['HTTP Basic with the key as password', () => ({ authorization: basic('', apiKey) })],
    ['another scheme', () => ({ authorization: `Token ${apiKey}` })],
    ['Bearer with two values', () => ({ authorization: `Bearer ${apiKey} ${apiKey}` })],
  ])('refuses %s with 401 invalid_api_key, saying which forms work', async (_, headers) => {
    const answer = await list(headers());
    expect(answer.statusCode).toBe(401);
    const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid_api_key');
    expect(error.message).toMatch(/Bearer/);
    expect(answer.body).not.toContain(apiKey);
  });

  it('marks every JSON answer, success or error, Cache-Control: no-store', async () => {
    expect((await list({ authorization: `Bearer ${apiKey}` })).headers['cache-control']).toBe('no-store');
    expect((await list({})).headers['cache-control']).toBe('no-store');
  });
});
