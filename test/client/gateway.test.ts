/**
 * The typed client against a real local gateway, as a merchant uses it: every resource, the typed
 * errors of real answers, auto-pagination over 250 transactions, and a real webhook delivery
 * verified with `paygate.webhooks.verify`. Every answer is also checked against the OpenAPI document.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, CardError, IdempotencyError, InvalidRequestError, Paygate, type Event } from '../../client/src/index.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.ts';
import { onboardMerchant, UNTHROTTLED } from '../e2e/helpers.ts';
import { contractFetch, testCard } from './support.ts';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the typed client against the local gateway', () => {
  let gateway: GatewayProcess;
  let paygate: Paygate;

  beforeAll(async () => {
    gateway = await startGatewayProcess(UNTHROTTLED);
    paygate = new Paygate(gateway.apiKey, { baseUrl: gateway.url, fetch: contractFetch });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('authorizes, captures part, refunds in two parts, and reads the payment back', async () => {
    const authorized = await paygate.payments.authorize({ amount: 9999, currency: 'usd', card: testCard(), description: 'Order #12345', metadata: { order_id: '12345' } });
    expect(authorized).toMatchObject({ object: 'payment', status: 'authorized', amount_capturable: 9999, currency: 'USD', metadata: { order_id: '12345' } });
    const captured = await paygate.payments.capture(authorized.id, { amount: 5000 });
    expect(captured).toMatchObject({ status: 'captured', amount_captured: 5000 });
    expect(await paygate.payments.refund(authorized.id, { amount: 1000, reason: 'one item back' })).toMatchObject({ status: 'partially_refunded', amount_refunded: 1000 });
    expect(await paygate.payments.refund(authorized.id)).toMatchObject({ status: 'refunded', amount_refunded: 5000 });
    expect(await paygate.payments.retrieve(authorized.id)).toMatchObject({ id: authorized.id, status: 'refunded' });
  });

  it('sells, voids an authorization, and expires one with the test helper', async () => {
    expect(await paygate.payments.sale({ amount: 1200, currency: 'EUR', card: testCard('5555555555554444') })).toMatchObject({ status: 'captured', amount_captured: 1200, card: { brand: 'mastercard', last4: '4444' } });
    const authorized = await paygate.payments.authorize({ amount: 300, currency: 'MAD', card: testCard() });
    expect(await paygate.payments.void(authorized.id, { reason: 'customer changed their mind' })).toMatchObject({ status: 'voided' });
    const forgotten = await paygate.payments.authorize({ amount: 400, currency: 'USD', card: testCard() });
    expect(await paygate.testHelpers.expirePayment(forgotten.id)).toMatchObject({ id: forgotten.id, status: 'expired' });
    await expect(paygate.payments.capture(forgotten.id)).rejects.toMatchObject({ name: 'InvalidRequestError', code: 'authorization_expired' });
  });

  it('throws a decline as a CardError carrying its decline_code, the failed payment’s id and the request id', async () => {
    const thrown = await paygate.payments.authorize({ amount: 1000, currency: 'USD', card: testCard('4000000000009995') }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(CardError);
    const error = thrown as CardError;
    expect(error).toMatchObject({ status: 402, type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', payment_id: expect.stringMatching(/^pay_/), request_id: expect.stringMatching(/^req_/), doc_url: expect.stringContaining('/docs/errors#card_declined') });
    expect(await paygate.payments.retrieve(error.payment_id!)).toMatchObject({ status: 'failed', decline_code: 'insufficient_funds' });
    await expect(paygate.payments.authorize({ amount: 1000, currency: 'USD', card: testCard('4000000000000259') })).rejects.toMatchObject({ name: 'CardError', code: 'fraud_declined' });
  });

  it('throws the API’s other errors as their classes, with param and code', async () => {
    // A caller without types (plain JavaScript) can still send a string amount: the gateway says why it is refused.
    const invalid = await paygate.payments.authorize({ amount: '99.99', currency: 'USD', card: testCard() } as never).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid).toMatchObject({ status: 400, param: 'amount', message: expect.stringMatching(/integer/i) });
    await expect(paygate.payments.retrieve('pay_000000000000000000000000')).rejects.toMatchObject({ name: 'InvalidRequestError', status: 404, code: 'resource_not_found' });
    const authorized = await paygate.payments.authorize({ amount: 500, currency: 'USD', card: testCard() });
    await paygate.payments.void(authorized.id);
    await expect(paygate.payments.void(authorized.id)).rejects.toMatchObject({ name: 'InvalidRequestError', status: 400, code: 'already_voided' });
    const stranger = new Paygate(`sk_test_${'x'.repeat(40)}`, { baseUrl: gateway.url, fetch: contractFetch });
    await expect(stranger.payments.retrieve(authorized.id)).rejects.toBeInstanceOf(AuthenticationError);
    // One key, two bodies: the second is refused, not retried.
    await paygate.payments.capture(authorized.id, {}, { idempotencyKey: `mismatch-${authorized.id}` }).catch(() => undefined);
    const mismatch = await paygate.payments.capture(authorized.id, { amount: 1 }, { idempotencyKey: `mismatch-${authorized.id}` }).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(IdempotencyError);
    expect(mismatch).toMatchObject({ status: 409, code: 'idempotency_key_mismatch' });
  });

  it('creates, reads, lists, cancels and expires payment intents', async () => {
    const intent = await paygate.paymentIntents.create({ amount: 5000, currency: 'EUR', success_url: 'http://localhost:8080/thanks', order_id: 'order-7' });
    expect(intent).toMatchObject({ object: 'payment_intent', status: 'created', checkout_url: expect.stringContaining(`/checkout/${intent.id}`), client_secret: expect.stringContaining('_secret_') });
    expect(await paygate.paymentIntents.retrieve(intent.id)).toMatchObject({ id: intent.id, order_id: 'order-7' });
    expect(await paygate.paymentIntents.cancel(intent.id)).toMatchObject({ status: 'canceled' });
    const other = await paygate.paymentIntents.create({ amount: 700, currency: 'USD', success_url: 'http://localhost:8080/thanks' });
    expect((await paygate.paymentIntents.list({ limit: 2 })).data.map((i) => i.id)).toEqual([other.id, intent.id]);
    expect(await paygate.testHelpers.expirePaymentIntent(other.id)).toMatchObject({ id: other.id, status: 'expired' });
    await expect(paygate.paymentIntents.cancel(intent.id)).rejects.toMatchObject({ status: 409, code: 'invalid_state' });
  });

  it('pages through 250 transactions and 250 payments with for await and toArray, each once, newest first', { timeout: 240_000 }, async () => {
    const merchant = await onboardMerchant(gateway.url, 'Pagination');
    const client = new Paygate(merchant.apiKey, { baseUrl: gateway.url, fetch: contractFetch });
    const sold: string[] = [];
    for (let batch = 0; batch < 25; batch++) {
      const payments = await Promise.all(Array.from({ length: 10 }, (_, i) => client.payments.sale({ amount: 100 + batch * 10 + i, currency: 'USD', card: testCard() })));
      sold.push(...payments.map((p) => p.id));
    }
    await client.payments.void((await client.payments.authorize({ amount: 100, currency: 'USD', card: testCard() })).id);

    const seen: string[] = [];
    for await (const transaction of client.transactions.list({ status: 'captured', limit: 100 })) {
      expect(transaction.status).toBe('captured');
      seen.push(transaction.id);
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    const all = await client.transactions.list({ status: 'captured', limit: 100 }).toArray();
    expect(all.map((t) => t.id)).toEqual(seen);
    expect(new Set(all.map((t) => t.payment_id))).toEqual(new Set(sold));
    const times = all.map((t) => Date.parse(t.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(await client.transactions.list({ limit: 7 }).toArray({ limit: 120 })).toHaveLength(120);
    // Payments page the same way, by their own filters.
    const payments: string[] = [];
    for await (const payment of client.payments.list({ status: 'captured', limit: 100 })) payments.push(payment.id);
    expect(payments).toHaveLength(250);
    expect(new Set(payments)).toEqual(new Set(sold));
    expect((await client.payments.list({ status: 'voided' }).toArray()).map((p) => p.status)).toEqual(['voided']);
    const first = await client.transactions.list({ limit: 3 });
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data).toHaveLength(3);
    expect(await client.transactions.retrieve(first.data[0]!.id)).toMatchObject({ id: first.data[0]!.id, object: 'transaction' });
  });

  describe('webhooks', () => {
    let receiver: Server;
    const received: Array<{ event?: Event; error?: string }> = [];
    let secret = '';

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          try {
            received.push({ event: paygate.webhooks.verify(Buffer.concat(chunks), req.headers, secret) });
            res.writeHead(204).end();
          } catch (error) {
            received.push({ error: (error as Error).name });
            res.writeHead(400).end();
          }
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => receiver?.close(resolve));
    });

    it('makes an endpoint, verifies a real delivery, lists and retries deliveries, reads events, rotates and deletes', { timeout: 60_000 }, async () => {
      const merchant = await onboardMerchant(gateway.url, 'Webhooks');
      const client = new Paygate(merchant.apiKey, { baseUrl: gateway.url, fetch: contractFetch });
      const port = (receiver.address() as AddressInfo).port;
      const endpoint = await client.webhookEndpoints.create({ url: `http://127.0.0.1:${port}/hooks`, events: ['payment.captured'] });
      expect(endpoint.secret).toMatch(/^whsec_/);
      secret = endpoint.secret!;
      expect((await client.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);

      const payment = await client.payments.sale({ amount: 4200, currency: 'USD', card: testCard() });
      const verified = await waitFor('a verified delivery', async () => received.find((r) => r.event?.data.object.id === payment.id)?.event);
      expect(verified).toMatchObject({ type: 'payment.captured', object: 'event' });
      expect(received.filter((r) => r.error)).toEqual([]);

      expect(await client.events.retrieve(verified.id)).toMatchObject({ id: verified.id, type: 'payment.captured' });
      const events = await client.events.list({ type: 'payment.captured' }).toArray();
      expect(events.map((e) => e.id)).toContain(verified.id);
      const delivery = await waitFor('the succeeded delivery', async () => (await client.webhookDeliveries.list({ endpoint_id: endpoint.id, status: 'succeeded' }).toArray()).find((d) => d.event_id === verified.id));
      expect(delivery).toMatchObject({ status: 'succeeded', last_status_code: 204 });
      // A succeeded delivery cannot be retried: the API says so, as an error of its class.
      await expect(client.webhookDeliveries.retry(delivery.id)).rejects.toMatchObject({ name: 'InvalidRequestError' });

      const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id);
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(secret);
      expect(await client.webhookEndpoints.del(endpoint.id)).toEqual({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
      expect((await client.webhookEndpoints.list()).data).toEqual([]);
    });
  });
});
