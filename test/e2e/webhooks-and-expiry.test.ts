import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../shared/webhooks/signing.ts';
import { client, startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { waitFor } from './helpers.ts';

interface Delivery {
  headers: Record<string, string>;
  body: string;
  at: number;
}

const year = new Date().getUTCFullYear() + 3;
const card = (number = '4242424242424242') => ({ number, exp_month: 12, exp_year: year, cvv: '123' });

/** A merchant's receiver on 127.0.0.1: fails the first `failures` attempts with 500, then answers 200. */
async function startReceiver(failures: number): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers as Record<string, string>, body, at: Date.now() });
      res.statusCode = deliveries.length <= failures ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, deliveries, server };
}


const env = { WEBHOOK_RETRY_DELAYS: '1,1,1,1', PAYGATE_WORKER_INTERVAL_MS: '100', AUTHORIZATION_TTL_SECONDS: '3' };

describe('webhooks and scheduled expiry over HTTP', () => {
  let gateway: GatewayProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(2);
    gateway = await startGatewayProcess(env);
  });
  afterAll(async () => {
    await gateway?.stop();
    receiver?.server.close();
  });

  it('delivers an event on the third attempt after two failures, with one webhook-id and valid signatures, across a restart', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const created = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url, events: ['payment.captured'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'webhook_endpoint', url: receiver.url, events: ['payment.captured'] });
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);

    const sale = await call('POST', '/api/v1/payments/sale', { amount: 2500, currency: 'USD', card: card() });
    expect(sale.status).toBe(201);

    // The first attempt fails; stop the gateway before the retry is due, then start it again.
    await waitFor('the first attempt', () => (receiver.deliveries.length >= 1 ? true : undefined));
    await gateway.stop();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    gateway = await startGatewayProcess({ ...env, PAYGATE_DATA_DIR: gateway.dataDir, PAYGATE_API_KEY: gateway.apiKey });

    await waitFor('the third attempt', () => (receiver.deliveries.length >= 3 ? true : undefined));
    const ids = new Set(receiver.deliveries.map((d) => d.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(receiver.deliveries.slice(1).some((d) => d.at > stoppedAt)).toBe(true);
    const last = receiver.deliveries[2]!;
    const event = verifyWebhookSignature(last.body, last.headers, secret) as { type: string; data: { object: { id: string; status: string } } };
    expect(event.type).toBe('payment.captured');
    expect(event.data.object).toMatchObject({ id: sale.body.id, status: 'captured' });
    expect(() => new Webhook(secret).verify(last.body, last.headers)).not.toThrow();

    const restarted = client(gateway.url, gateway.apiKey);
    const deliveries = await restarted('GET', `/api/v1/webhook-deliveries?endpoint_id=${created.body.id}`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.data[0]).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 200, next_attempt_at: null });
    // The same delivery under each key that lists it; after it, nothing; before it, nothing.
    const deliveryId = deliveries.body.data[0].id as string;
    const eventId = deliveries.body.data[0].event_id as string;
    for (const filter of [`status=succeeded`, `endpoint_id=${created.body.id}&status=succeeded`, `event_id=${eventId}&status=succeeded`]) {
      const listed = await restarted('GET', `/api/v1/webhook-deliveries?${filter}`);
      expect(listed.body.data.map((d: { id: string }) => d.id), filter).toEqual([deliveryId]);
    }
    expect((await restarted('GET', `/api/v1/webhook-deliveries?status=failed`)).body.data).toEqual([]);
    expect((await restarted('GET', `/api/v1/webhook-deliveries?starting_after=${deliveryId}`)).body).toMatchObject({ data: [], has_more: false });
    expect((await restarted('GET', `/api/v1/webhook-deliveries?ending_before=${deliveryId}`)).body).toMatchObject({ data: [], has_more: false });
  });

  it('expires an authorization on its own, emits payment.expired, and then refuses its capture', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const authorized = await call('POST', '/api/v1/payments/authorize', { amount: 700, currency: 'EUR', card: card() });
    expect(authorized.status).toBe(201);
    const id = authorized.body.id as string;

    const expired = await waitFor('the expiry', async () => {
      const payment = await call('GET', `/api/v1/payments/${id}`);
      return payment.body.status === 'expired' ? payment.body : undefined;
    }, 20_000);
    expect(expired.amount_capturable).toBe(0);

    const events = await call('GET', '/api/v1/events?type=payment.expired');
    const expiredEvent = events.body.data.find((e: { data: { object: { id: string } } }) => e.data.object.id === id);
    // The payment's second version: authorized (1), expired (2).
    expect(expiredEvent).toMatchObject({ type: 'payment.expired', object_version: 2 });
    const authorizedEvents = await call('GET', '/api/v1/events?type=payment.authorized&limit=100');
    expect(authorizedEvents.body.data.find((e: { data: { object: { id: string } } }) => e.data.object.id === id)).toMatchObject({ object_version: 1 });
    const capture = await call('POST', `/api/v1/payments/${id}/capture`, {});
    expect(capture.status).toBe(400);
    expect(capture.body.error.code).toBe('authorization_expired');
  });

  it('lists, reads, rotates and deletes webhook endpoints, and reads events back', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const created = await call('POST', '/api/v1/webhook-endpoints', { url: 'https://example.com/hooks' });
    expect(created.body.events).toEqual(['*']);
    const listed = await call('GET', '/api/v1/webhook-endpoints');
    expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');

    const rotated = await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    const events = await call('GET', '/api/v1/events?limit=2');
    expect(events.body).toMatchObject({ object: 'list', limit: 2, offset: 0 });
    const one = await call('GET', `/api/v1/events/${events.body.data[0].id}`);
    expect(one.body).toEqual(events.body.data[0]);

    expect((await call('DELETE', `/api/v1/webhook-endpoints/${created.body.id}`)).body).toMatchObject({ deleted: true });
    expect((await call('DELETE', `/api/v1/webhook-endpoints/${created.body.id}`)).status).toBe(404);
  });

  it('answers the contract’s errors for bad webhook input', async () => {
    const call = client(gateway.url, gateway.apiKey);
    const plainHttp = await call('POST', '/api/v1/webhook-endpoints', { url: 'http://example.com/hooks' });
    expect(plainHttp.status).toBe(400);
    expect(plainHttp.body.error).toMatchObject({ code: 'invalid_url', param: 'url' });
    const unknownEvent = await call('POST', '/api/v1/webhook-endpoints', { url: 'https://example.com', events: ['payment.teleported'] });
    expect(unknownEvent.body.error).toMatchObject({ code: 'validation_error', param: 'events.0' });
    expect((await call('GET', '/api/v1/events?type=nope')).status).toBe(400);
    expect((await call('GET', '/api/v1/events/evt_000000000000000000000000')).status).toBe(404);
    expect((await call('GET', '/api/v1/webhook-deliveries?status=lost')).status).toBe(400);
    const cursor = 'whd_000000000000000000000000';
    expect((await call('GET', `/api/v1/webhook-deliveries?starting_after=${cursor}&ending_before=${cursor}`)).body.error).toMatchObject({ code: 'validation_error', param: 'ending_before' });
    expect((await call('GET', `/api/v1/webhook-deliveries?starting_after=${cursor}`)).body.error).toMatchObject({ code: 'validation_error', param: 'starting_after' });
    expect((await call('POST', '/api/v1/webhook-deliveries/whd_000000000000000000000000/retry')).status).toBe(404);
  });
});
