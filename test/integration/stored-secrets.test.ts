import { createHash } from 'node:crypto';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import canonicalize from 'canonicalize';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { endpoint as authorizeEndpoint } from '../../functions/payments/authorize-payment.ts';
import { endpoint as createWebhookEndpointRoute } from '../../functions/webhooks/create-webhook-endpoint.ts';
import { endpoint as rotateWebhookSecretRoute } from '../../functions/webhooks/rotate-webhook-secret.ts';
import { endpoint as createIntentRoute } from '../../functions/intents/create-payment-intent.ts';
import { endpoint as cancelIntentRoute } from '../../functions/intents/cancel-payment-intent.ts';
import { localClient } from '../../lib/local/dynamodb-local.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { buildHandler, type AnyEndpoint } from '../../shared/http/endpoint.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let apiKey: string;

beforeAll(async () => {
  deps = await testDependencies();
  deps.clock.set(new Date());
  apiKey = (await createMerchant(deps, 'Secrets Merchant')).key.apiKey;
});

function call(endpoint: AnyEndpoint, path: string, body: unknown, key: string, pathParameters?: Record<string, string>) {
  return buildHandler(endpoint, deps)(
    httpEvent({ method: 'POST', path, body, headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key }, ...(pathParameters ? { pathParameters } : {}) }),
  );
}

/** Every item of the table, as stored. */
async function items(): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(localClient(inject('dynamoEndpoint'), inject('dynamoCredentials')));
  const out = await doc.send(new ScanCommand({ TableName: deps.tableName }));
  return out.Items ?? [];
}

async function everything(): Promise<string> {
  return JSON.stringify(await items());
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The request hash stored in the idempotency record of an Idempotency-Key. */
async function storedRequestHash(key: string): Promise<string> {
  const records = (await items()).filter((i) => i['entity'] === 'idempotency' && String(i['pk']).endsWith(`#${sha256(key)}`));
  expect(records).toHaveLength(1);
  return records[0]!['requestHash'] as string;
}

/**
 * What the idempotency middleware would store for a body taken as it came, card in clear: sha256 of
 * `METHOD path`, a newline and the body's canonical JSON (RFC 8785). An attacker who knows the rest
 * of a body (amount, last4, expiry, BIN) can compute this for each candidate card number and CVV.
 */
function unkeyedRequestHash(method: string, path: string, body: unknown): string {
  return sha256(`${method} ${path}\n${canonicalize(body) ?? ''}`);
}

describe('what idempotency records keep', () => {
  it('keeps no hash of a card number or CVV that could be brute-forced: card fields enter the hash keyed', async () => {
    const card = { number: '4000056655665556', exp_month: 11, exp_year: 2031, cvv: '847' };
    const body = { amount: 12_999, currency: 'USD', card };
    const answer = await call(authorizeEndpoint, '/api/v1/payments/authorize', body, 'order-881');
    expect(answer.statusCode).toBe(201);

    // The attacker's computation is the middleware's own: on a route without cards it finds the stored hash
    // (keys out of canonical order, so a JSON.stringify would not).
    const hooks = { url: 'https://example.com/hooks', events: ['payment.captured'] };
    expect((await call(createWebhookEndpointRoute, '/api/v1/webhook-endpoints', hooks, 'order-881-hooks')).statusCode).toBe(201);
    expect(await storedRequestHash('order-881-hooks')).toBe(unkeyedRequestHash('POST', '/api/v1/webhook-endpoints', hooks));
    // On the card route the same computation from the card in clear finds nothing: the card entered keyed.
    const requestHash = await storedRequestHash('order-881');
    expect(requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash).not.toBe(unkeyedRequestHash('POST', '/api/v1/payments/authorize', body));
    const stored = await everything();
    expect(stored).not.toContain(unkeyedRequestHash('POST', '/api/v1/payments/authorize', body));
    expect(stored).not.toContain('4000056655665556');
    expect(stored).not.toContain('"847"');
    // And the key still works: a retry replays, another card is a mismatch.
    const again = await call(authorizeEndpoint, '/api/v1/payments/authorize', body, 'order-881');
    expect(again.headers['idempotent-replayed']).toBe('true');
    const otherCvv = await call(authorizeEndpoint, '/api/v1/payments/authorize', { ...body, card: { ...card, cvv: '848' } }, 'order-881');
    expect(JSON.parse(otherCvv.body).error.code).toBe('idempotency_key_mismatch');
  });

  it('keeps no webhook secret of create or rotate, and replays them byte for byte', async () => {
    const created = await call(createWebhookEndpointRoute, '/api/v1/webhook-endpoints', { url: 'https://example.com/hooks' }, 'we-create');
    const id = JSON.parse(created.body).id as string;
    const rotated = await call(rotateWebhookSecretRoute, `/api/v1/webhook-endpoints/${id}/rotate-secret`, undefined, 'we-rotate', { id });
    const secrets = [JSON.parse(created.body).secret as string, JSON.parse(rotated.body).secret as string];
    expect(secrets[0]).not.toBe(secrets[1]);

    const stored = await everything();
    for (const secret of secrets) expect(stored).not.toContain(secret.slice('whsec_'.length, 30));

    const createReplay = await call(createWebhookEndpointRoute, '/api/v1/webhook-endpoints', { url: 'https://example.com/hooks' }, 'we-create');
    const rotateReplay = await call(rotateWebhookSecretRoute, `/api/v1/webhook-endpoints/${id}/rotate-secret`, undefined, 'we-rotate', { id });
    expect(createReplay.headers['idempotent-replayed']).toBe('true');
    expect(createReplay.body).toBe(created.body);
    expect(rotateReplay.body).toBe(rotated.body);
  });

  it('keeps no client secret of intent create or cancel, and replays them byte for byte', async () => {
    const created = await call(createIntentRoute, '/api/v1/payment-intents', { amount: 500, currency: 'EUR', success_url: 'https://example.com/ok' }, 'pi-create');
    const intent = JSON.parse(created.body) as { id: string; client_secret: string };
    const canceled = await call(cancelIntentRoute, `/api/v1/payment-intents/${intent.id}/cancel`, undefined, 'pi-cancel', { id: intent.id });
    expect(JSON.parse(canceled.body).client_secret).toBe(intent.client_secret);

    expect(await everything()).not.toContain(intent.client_secret.split('_secret_')[1]);
    const replay = await call(cancelIntentRoute, `/api/v1/payment-intents/${intent.id}/cancel`, undefined, 'pi-cancel', { id: intent.id });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(canceled.body);
  });
});

describe('bodies no request of the API has', () => {
  it('answers 400 to JSON nested too deep, with or without an Idempotency-Key (never a 500)', async () => {
    const deep = `${'{"a":['.repeat(1000)}1${']}'.repeat(1000)}`;
    for (const key of ['deep-1', undefined]) {
      const answer = await buildHandler(authorizeEndpoint, deps)(
        httpEvent({ method: 'POST', path: '/api/v1/payments/authorize', body: deep, headers: { authorization: `Bearer ${apiKey}`, ...(key ? { 'idempotency-key': key } : {}) } }),
      );
      expect(answer.statusCode).toBe(400);
      expect(JSON.parse(answer.body).error.code).toBe('validation_error');
    }
  });

  it.each([
    ['a number beyond a double', '{"amount":1e400,"currency":"USD"}'],
    ['a lone surrogate in a value', '{"amount":1000,"currency":"USD","description":"\\ud800"}'],
    ['a lone surrogate in a key', '{"amount":1000,"currency":"USD","metadata":{"\\udfff":"x"}}'],
  ])('answers 400 invalid_json to %s, with or without an Idempotency-Key (never a 500)', async (_, body) => {
    for (const key of [`odd-${Math.random()}`, undefined]) {
      const answer = await buildHandler(authorizeEndpoint, deps)(
        httpEvent({ method: 'POST', path: '/api/v1/payments/authorize', body, headers: { authorization: `Bearer ${apiKey}`, ...(key ? { 'idempotency-key': key } : {}) } }),
      );
      expect(answer.statusCode, answer.body).toBe(400);
      expect(JSON.parse(answer.body).error.code).toBe('invalid_json');
    }
  });
});
