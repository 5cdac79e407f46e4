/**
 * The test helpers (API.md, "Test helpers"): what takes days happens now, exactly as the scheduled
 * job would do it, with a test key only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { card, VISA, waitFor } from './helpers.ts';



describe('test helpers, with a test key', () => {
  let gateway: GatewayProcess;
  let receiver: Server;
  let receiverUrl: string;
  let received = 0;

  beforeAll(async () => {
    // A receiver that always fails: its delivery stays pending, its next attempt an hour away.
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    gateway = await startGatewayProcess({ WEBHOOK_RETRY_DELAYS: '3600,3600,3600,3600', PAYGATE_WORKER_INTERVAL_MS: '100' });
  });
  afterAll(async () => {
    await gateway?.stop();
    receiver?.close();
  });

  it('expires an authorization now, as the 7-day job would: transaction expire, event payment.expired, then capture refused', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const authorized = await call('POST', '/api/v1/payments/authorize', { amount: 700, currency: 'EUR', card: card(VISA) });
    expect(authorized.status).toBe(201);
    const id = authorized.body.id as string;
    expect(Date.parse(authorized.body.expires_at)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const expired = await call('POST', `/api/v1/test_helpers/payments/${id}/expire`, {});
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ id, status: 'expired', amount_capturable: 0 });
    expect((await call('GET', `/api/v1/payments/${id}`)).body.status).toBe('expired');

    const transactions = await call('GET', '/api/v1/transactions?status=expired');
    expect(transactions.body.data.filter((t: { payment_id: string }) => t.payment_id === id)).toEqual([
      expect.objectContaining({ type: 'expire', status: 'expired', amount: 700 }),
    ]);
    const events = await call('GET', '/api/v1/events?type=payment.expired');
    expect(events.body.data.find((e: { data: { object: { id: string } } }) => e.data.object.id === id)).toMatchObject({ object_version: 2 });

    const capture = await call('POST', `/api/v1/payments/${id}/capture`, {});
    expect(capture.status).toBe(400);
    expect(capture.body.error.code).toBe('authorization_expired');
    const again = await call('POST', `/api/v1/test_helpers/payments/${id}/expire`, {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'invalid_state', message: 'Only an authorized payment can expire; this one is expired.' });
  });

  it('refuses to expire a captured payment, and answers 404 for another id', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const sale = await call('POST', '/api/v1/payments/sale', { amount: 900, currency: 'USD', card: card(VISA) });
    const refused = await call('POST', `/api/v1/test_helpers/payments/${sale.body.id}/expire`, {});
    expect(refused.status).toBe(409);
    expect((await call('GET', `/api/v1/payments/${sale.body.id}`)).body.status).toBe('captured');
    const missing = await call('POST', '/api/v1/test_helpers/payments/pay_000000000000000000000000/expire', {});
    expect(missing.status).toBe(404);
  });

  it('replays an expiry sent again with its Idempotency-Key, and makes one transaction', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const authorized = await call('POST', '/api/v1/payments/authorize', { amount: 1100, currency: 'USD', card: card(VISA) });
    const path = `/api/v1/test_helpers/payments/${authorized.body.id}/expire`;
    const first = await call('POST', path, {}, { 'idempotency-key': `expire-${authorized.body.id}` });
    const second = await call('POST', path, {}, { 'idempotency-key': `expire-${authorized.body.id}` });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const transactions = await call('GET', '/api/v1/transactions?status=expired&limit=100');
    expect(transactions.body.data.filter((t: { payment_id: string }) => t.payment_id === authorized.body.id)).toHaveLength(1);
  });

  it('expires an intent now: its checkout is refused with 410, and a second expiry is a 409', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const intent = await call('POST', '/api/v1/payment-intents', { amount: 5000, currency: 'EUR', success_url: 'https://shop.example/thanks' });
    expect(intent.status).toBe(201);
    const expired = await call('POST', `/api/v1/test_helpers/payment-intents/${intent.body.id}/expire`, {});
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ id: intent.body.id, status: 'expired' });
    expect(Date.parse(expired.body.expires_at)).toBeLessThanOrEqual(Date.now());
    const confirm = await client(gateway.url)('POST', `/api/public/payment-intents/${intent.body.id}/confirm`, { client_secret: intent.body.client_secret, card: card(VISA), customer_email: 'a@b.co' });
    expect(confirm.status).toBe(410);
    expect(confirm.body.error.code).toBe('intent_expired');
    const again = await call('POST', `/api/v1/test_helpers/payment-intents/${intent.body.id}/expire`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_state');
  });

  it('brings a pending delivery’s next attempt forward to now, once; its schedule goes on from there', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const endpoint = await call('POST', '/api/v1/webhook-endpoints', { url: receiverUrl, events: ['payment.captured'] });
    expect(endpoint.status).toBe(201);
    await call('POST', '/api/v1/payments/sale', { amount: 2500, currency: 'USD', card: card(VISA) });
    const pending = await waitFor('the first failed attempt', async () => {
      const list = await call('GET', `/api/v1/webhook-deliveries?endpoint_id=${endpoint.body.id}`);
      const delivery = list.body.data[0];
      return delivery?.attempts === 1 ? delivery : undefined;
    }, 20_000);
    expect(pending.status).toBe('pending');
    expect(Date.parse(pending.next_attempt_at)).toBeGreaterThan(Date.now() + 3000_000);
    const before = received;

    const retried = await call('POST', `/api/v1/webhook-deliveries/${pending.id}/retry`, {});
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: pending.id, status: 'pending', attempts: 1 });
    const second = await waitFor('the attempt brought forward', async () => {
      const list = await call('GET', `/api/v1/webhook-deliveries?endpoint_id=${endpoint.body.id}`);
      return list.body.data[0]?.attempts === 2 ? list.body.data[0] : undefined;
    }, 20_000);
    // Still pending (not a manual one-off): the next attempt of its schedule, an hour on.
    expect(second).toMatchObject({ status: 'pending' });
    expect(Date.parse(second.next_attempt_at)).toBeGreaterThan(Date.now() + 3000_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(received - before).toBe(1);
  });
});

describe('test helpers, on a live stage', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGatewayProcess({ PAYGATE_STAGE: 'live' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answer 403 test_mode_only, and change nothing', async () => {
    const call = client(gateway.url, gateway.apiKey);
    expect(gateway.apiKey).toMatch(/^sk_live_/);
    const authorized = await call('POST', '/api/v1/payments/authorize', { amount: 700, currency: 'EUR', card: card(VISA) });
    expect(authorized.status).toBe(201);
    const refused = await call('POST', `/api/v1/test_helpers/payments/${authorized.body.id}/expire`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'test_mode_only' });
    expect((await call('GET', `/api/v1/payments/${authorized.body.id}`)).body.status).toBe('authorized');
    const intent = await call('POST', '/api/v1/payment-intents', { amount: 5000, currency: 'EUR', success_url: 'https://shop.example/thanks' });
    const intentRefused = await call('POST', `/api/v1/test_helpers/payment-intents/${intent.body.id}/expire`, {});
    expect(intentRefused.status).toBe(403);
    expect((await call('GET', `/api/v1/payment-intents/${intent.body.id}`)).body.status).toBe('created');
  });
});
