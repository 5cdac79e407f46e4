/**
 * The local gateway as `npm start` runs it (API.md, "The local gateway") and the operator's admin
 * API (API.md, "Merchants and API keys"). The tests run in order on one data dir: a first gateway
 * with the admin API and a chosen PAYGATE_API_KEY, stopped with SIGINT, then a second one on the
 * same data dir without the admin key.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocumentFromSources } from '../../lib/openapi/document.ts';
import { documentServedFrom } from '../../shared/http/openapi-document.ts';
import { ADMIN_KEY, client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { descendantsOf, stillRunning } from '../support/processes.ts';
import { UNTHROTTLED, base62, checkedClient, expectError, onboardMerchant, paymentBody, type OnboardedMerchant } from './helpers.ts';

const SEEDED_KEY = `sk_test_${base62(40)}`;

let first: GatewayProcess;
let restarted: GatewayProcess | undefined;

/** What the first gateway leaves behind for the second one to find. */
const before: { payment?: Record<string, unknown>; merchant?: OnboardedMerchant; liveKey?: string; revokedKey?: string } = {};

beforeAll(async () => {
  first = await startGatewayProcess({ ...UNTHROTTLED, PAYGATE_API_KEY: SEEDED_KEY });
});

afterAll(async () => {
  await first?.stop();
  await restarted?.stop();
  if (first) rmSync(first.dataDir, { recursive: true, force: true });
});


describe('the local gateway', () => {
  it('answers GET /health with 200 {"status":"ok"}, without a key', async () => {
    const health = await checkedClient(first.url)('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document built from the sources at GET /api/openapi.json, without a key, public and cacheable, with itself as the server', async () => {
    const answer = await checkedClient(first.url)('GET', '/api/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
    // PAYGATE_PUBLIC_URL unset: the public URL is localhost on the bound port.
    const publicUrl = `http://localhost:${new URL(first.url).port}`;
    expect(answer.body).toEqual(JSON.parse(JSON.stringify(documentServedFrom(await openApiDocumentFromSources(), publicUrl))));
  });

  it('seeds the test merchant with the key PAYGATE_API_KEY names, and prints it at start', async () => {
    expect(first.apiKey).toBe(SEEDED_KEY);
    expect(first.merchantId).toMatch(/^mch_[0-9A-Za-z]{20,}$/);
    const sold = await checkedClient(first.url, SEEDED_KEY)('POST', '/api/v1/payments/sale', paymentBody({ amount: 4321 }));
    expect(sold.status).toBe(201);
    before.payment = sold.body;
  });
});

describe('merchants and API keys (admin API)', () => {
  const admin = () => checkedClient(first.url, ADMIN_KEY);

  it('onboards a merchant: 201 with a mch_ id, its name, a sk_test_ key shown once and a key_ id; the key works at once', async () => {
    const created = await admin()('POST', '/api/admin/merchants', { name: 'Atlas Bikes' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^mch_[0-9A-Za-z]{20,}$/),
      name: 'Atlas Bikes',
      api_key: expect.stringMatching(/^sk_test_[0-9A-Za-z]{32,}$/),
      api_key_id: expect.stringMatching(/^key_[0-9A-Za-z]{20,}$/),
    });
    const call = checkedClient(first.url, created.body.api_key);
    const payment = await call('POST', '/api/v1/payments/authorize', paymentBody());
    expect(payment.status).toBe(201);
    expect((await call('GET', `/api/v1/payments/${payment.body.id}`)).status).toBe(200);
    expectError(await call('GET', `/api/v1/payments/${before.payment!['id']}`), 404, 'resource_not_found');
  });

  it('issues further keys to a merchant, all live at once and all seeing the same payments', async () => {
    const merchant = await onboardMerchant(first.url, 'Rotating Shop');
    const second = await admin()('POST', `/api/admin/merchants/${merchant.id}/api-keys`);
    const third = await admin()('POST', `/api/admin/merchants/${merchant.id}/api-keys`);
    for (const issued of [second, third]) {
      expect(issued.status).toBe(201);
      expect(issued.body).toMatchObject({ id: merchant.id, name: 'Rotating Shop', api_key: expect.stringMatching(/^sk_test_/), api_key_id: expect.stringMatching(/^key_/) });
    }
    const keys = [merchant.apiKey, second.body.api_key as string, third.body.api_key as string];
    expect(new Set(keys).size).toBe(3);
    expect(new Set([merchant.apiKeyId, second.body.api_key_id, third.body.api_key_id]).size).toBe(3);

    const payment = await merchant.call('POST', '/api/v1/payments/authorize', paymentBody());
    for (const key of keys) {
      expect((await checkedClient(first.url, key)('GET', `/api/v1/payments/${payment.body.id}`)).status).toBe(200);
    }
    before.merchant = merchant;
    before.liveKey = third.body.api_key;
    before.revokedKey = second.body.api_key;

    const revoked = await admin()('DELETE', `/api/admin/merchants/${merchant.id}/api-keys/${second.body.api_key_id}`);
    expect(revoked.status).toBe(200);
    expectError(await checkedClient(first.url, second.body.api_key)('GET', `/api/v1/payments/${payment.body.id}`), 401, 'invalid_api_key');
    expect((await checkedClient(first.url, third.body.api_key)('GET', `/api/v1/payments/${payment.body.id}`)).status).toBe(200);
    expect((await merchant.call('POST', '/api/v1/payments/authorize', paymentBody())).status).toBe(201);
  });

  it("answers 404 to revoking a key that does not exist or through another merchant's id, and the key stays live", async () => {
    const owner = await onboardMerchant(first.url, 'Owner Shop');
    const intruder = await onboardMerchant(first.url, 'Intruder Shop');
    expectError(await admin()('DELETE', `/api/admin/merchants/${owner.id}/api-keys/key_${base62(24)}`), 404, 'resource_not_found');
    expectError(await admin()('DELETE', `/api/admin/merchants/${intruder.id}/api-keys/${owner.apiKeyId}`), 404, 'resource_not_found');
    expect((await owner.call('GET', '/api/v1/transactions')).status).toBe(200);
    expectError(await admin()('POST', `/api/admin/merchants/mch_${base62(24)}/api-keys`), 404, 'resource_not_found');
  });

  it('answers 400 validation_error to a merchant without a name', async () => {
    expectError(await admin()('POST', '/api/admin/merchants', {}), 400, 'validation_error', { param: 'name' });
    expectError(await admin()('POST', '/api/admin/merchants', { name: '   ' }), 400, 'validation_error', { param: 'name' });
  });

  it("answers 401 to admin calls with a wrong admin key, a merchant's API key, or no key", async () => {
    for (const key of ['wrong-admin-key', `${ADMIN_KEY}x`, SEEDED_KEY, undefined]) {
      const call = checkedClient(first.url, key);
      const answer = await call('POST', '/api/admin/merchants', { name: 'Sneaky Shop' });
      expect(answer.status, `admin key ${key}`).toBe(401);
      expect(answer.body.error.type).toBe('authentication_error');
      expect((await call('POST', `/api/admin/merchants/${first.merchantId}/api-keys`)).status).toBe(401);
    }
  });
});

describe('stopping and restarting', () => {
  it('exits with code 0 on SIGINT, stops answering, and leaves no DynamoDB Local of its own behind', async () => {
    const descendants = descendantsOf(first.child.pid!);
    const dynamo = descendants.filter((p) => p.args.includes('DynamoDBLocal.jar') && p.args.includes(first.dataDir));
    expect(dynamo, JSON.stringify(descendants)).toHaveLength(1);

    expect(await first.stop()).toBe(0);
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();
    const deadline = Date.now() + 10_000;
    while (stillRunning(descendants.map((p) => p.pid)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stillRunning(descendants.map((p) => p.pid))).toEqual([]);
  });

  it('keeps payments, merchants, keys and revocations across a restart on the same data dir, with the same seeded key', async () => {
    expect(first.child.exitCode).toBe(0);
    restarted = await startGatewayProcess({ ...UNTHROTTLED, PAYGATE_DATA_DIR: first.dataDir, PAYGATE_ADMIN_KEY: '' });
    expect(restarted.apiKey).toBe(SEEDED_KEY);
    expect(restarted.merchantId).toBe(first.merchantId);

    const fetched = await checkedClient(restarted.url, SEEDED_KEY)('GET', `/api/v1/payments/${before.payment!['id']}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(before.payment);
    expect((await checkedClient(restarted.url, before.liveKey)('GET', '/api/v1/transactions')).body.data).toHaveLength(2);
    expectError(await checkedClient(restarted.url, before.revokedKey)('GET', '/api/v1/transactions'), 401, 'invalid_api_key');
  });

  it('serves no admin routes at all when PAYGATE_ADMIN_KEY is empty', async () => {
    expect(restarted!.output()).toMatch(/admin routes:\s+disabled/);
    const admin = client(restarted!.url, ADMIN_KEY);
    const attempts = [
      await admin('POST', '/api/admin/merchants', { name: 'Nobody' }),
      await admin('POST', `/api/admin/merchants/${before.merchant!.id}/api-keys`),
      await admin('DELETE', `/api/admin/merchants/${before.merchant!.id}/api-keys/${before.merchant!.apiKeyId}`),
    ];
    for (const answer of attempts) expectError(answer, 404, 'route_not_found');
    expect((await checkedClient(restarted!.url, before.merchant!.apiKey)('GET', '/api/v1/transactions')).status).toBe(200);
  });
});
