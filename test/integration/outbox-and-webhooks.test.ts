import { eventBody } from '../../shared/domain/events.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { capturePayment, createPayment, refundPayment, voidPayment } from '../../shared/commands/payments.ts';
import { deliveryId, retryDelivery, rotateWebhookSecret, createWebhookEndpoint } from '../../shared/commands/webhooks.ts';
import { createIntent } from '../../shared/commands/intents.ts';
import { runDueWork } from '../../lib/local/worker.ts';
import type { EventType } from '../../shared/domain/events.ts';
import { IdempotencyLockLostError } from '../../shared/ports.ts';
import { heldKey, newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A merchant's receiver on 127.0.0.1 that answers with the next status of a script (then 204). */
class Receiver {
  readonly received: Received[] = [];
  statuses: number[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers as Record<string, string>, body });
        res.statusCode = this.statuses.shift() ?? 204;
        res.end(res.statusCode >= 300 ? 'receiver says no' : '');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()));
  }
}

let deps: TestDependencies;
let merchantId: string;
const receiver = new Receiver();

beforeAll(async () => {
  deps = await testDependencies();
  deps.settings.webhookRetryDelaysSeconds = [300, 900, 3600, 21600];
  await receiver.start();
});
afterAll(() => receiver.stop());

beforeEach(async () => {
  // Real time, so that the standardwebhooks library's timestamp check accepts attempts made now.
  deps.clock.set(new Date());
  // A fresh merchant per test: its events, endpoints and deliveries are its own.
  ({ merchant: { id: merchantId } } = await createMerchant(deps, 'Webhook Merchant'));
  receiver.received.length = 0;
  receiver.statuses = [];
});

async function eventTypes(): Promise<EventType[]> {
  const page = await deps.store.listEvents(merchantId, { limit: 100, offset: 0 });
  return page.items.map((e) => e.type).reverse();
}

/** Checks a delivery's signature with the library, for attempts made at a (manual) time the library would call too new. */
function expectSignedBy(secret: string, received: Received): void {
  const signedAt = new Date(Number(received.headers['webhook-timestamp']) * 1000);
  const expected = new Webhook(secret).sign(received.headers['webhook-id']!, signedAt, received.body);
  expect(received.headers['webhook-signature']!.split(' ')).toContain(expected);
}

const step = () => deps.clock.advance(1000);

/** Runs the worker until nothing is due at the clock's current time. */
async function drain(): Promise<void> {
  while ((await runDueWork(deps)) > 0);
}

describe('the transactional outbox', () => {
  it('writes exactly one event in the commit of each payment operation', async () => {
    const authorized = await createPayment(deps, merchantId, newPayment({ amount: 1000 }));
    step();
    await capturePayment(deps, merchantId, authorized.id, 600);
    step();
    await refundPayment(deps, merchantId, authorized.id, 100, null);
    step();
    const toVoid = await createPayment(deps, merchantId, newPayment());
    step();
    await voidPayment(deps, merchantId, toVoid.id, null);
    step();
    await createPayment(deps, merchantId, newPayment({ capture: true }));
    step();
    await createPayment(deps, merchantId, newPayment({ card: { number: '4000000000000002', expMonth: 12, expYear: 2030, cvv: '123' } })).catch(() => undefined);

    expect(await eventTypes()).toEqual([
      'payment.authorized',
      'payment.captured',
      'payment.refunded',
      'payment.authorized',
      'payment.voided',
      'payment.captured',
      'payment.failed',
    ]);
    const events = await deps.store.listEvents(merchantId, { limit: 100, offset: 0 });
    const refunded = events.items.find((e) => e.type === 'payment.refunded')!;
    expect(JSON.parse(refunded.objectJson)).toMatchObject({ id: authorized.id, status: 'partially_refunded', amount_refunded: 100 });
    // Each event names the version of its object it shows: authorized 1, captured 2, refunded 3.
    const ofFirstPayment = events.items.filter((e) => JSON.parse(e.objectJson).id === authorized.id).map((e) => [e.type, e.objectVersion]);
    expect(ofFirstPayment.reverse()).toEqual([['payment.authorized', 1], ['payment.captured', 2], ['payment.refunded', 3]]);
    expect(JSON.parse(eventBody(refunded))).toMatchObject({ object: 'event', object_version: 3 });
  });

  it('writes no event when the change does not commit, and no change without its event', async () => {
    const lock = { recordId: `${merchantId}#gone`, ownerToken: 'someone-else', expiresAtEpochSeconds: 2_000_000_000 };
    await expect(
      createPayment(deps, merchantId, newPayment(), heldKey(lock)),
    ).rejects.toBeInstanceOf(IdempotencyLockLostError);
    const payment = await createPayment(deps, merchantId, newPayment());
    await expect(capturePayment(deps, merchantId, payment.id, 999_999)).rejects.toMatchObject({ code: 'amount_too_high' });

    expect(await eventTypes()).toEqual(['payment.authorized']);
  });

  it('expires an uncaptured authorization on its own at expires_at, with its transaction and event', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    await drain();
    expect((await deps.store.getPayment(merchantId, payment.id))?.status).toBe('authorized');
    step();

    deps.clock.advance(7 * 24 * 3600 * 1000);
    await drain();

    const stored = await deps.store.getPayment(merchantId, payment.id);
    expect(stored?.status).toBe('expired');
    expect(stored?.amountCapturable).toBe(0);
    const transactions = await deps.store.listTransactions(merchantId, { limit: 10, offset: 0 });
    expect(transactions.items.map((t) => t.type)).toEqual(['expire', 'authorize']);
    expect(await eventTypes()).toEqual(['payment.authorized', 'payment.expired']);
    await expect(capturePayment(deps, merchantId, payment.id, undefined)).rejects.toMatchObject({ code: 'authorization_expired' });
  });

  it('leaves a captured authorization alone when its expiry comes', async () => {
    const payment = await createPayment(deps, merchantId, newPayment());
    step();
    await capturePayment(deps, merchantId, payment.id, undefined);
    deps.clock.advance(8 * 24 * 3600 * 1000);
    await drain();
    expect((await deps.store.getPayment(merchantId, payment.id))?.status).toBe('captured');
    expect(await eventTypes()).toEqual(['payment.authorized', 'payment.captured']);
  });
});

describe('webhook delivery', () => {
  it('delivers a signed event that the standardwebhooks library verifies unchanged', async () => {
    const { secret } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    const payment = await createPayment(deps, merchantId, newPayment());
    await drain();

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const verified = new Webhook(secret).verify(delivery!.body, delivery!.headers) as { type: string; data: { object: { id: string } } };
    expect(verified.type).toBe('payment.authorized');
    expect(verified.data.object.id).toBe(payment.id);
    expect(delivery!.headers['webhook-id']).toMatch(/^evt_/);
  });

  it('retries on the schedule and succeeds on the third attempt with the same webhook-id', async () => {
    const { endpoint, secret } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: ['payment.captured'] });
    receiver.statuses = [500, 503];
    await createPayment(deps, merchantId, newPayment({ capture: true }));
    await drain();
    expect(receiver.received).toHaveLength(1);

    deps.clock.advance(299_000);
    await drain();
    expect(receiver.received).toHaveLength(1);
    deps.clock.advance(1_000);
    await drain();
    expect(receiver.received).toHaveLength(2);
    deps.clock.advance(900_000);
    await drain();
    expect(receiver.received).toHaveLength(3);

    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
    const delivery = await deps.store.getDelivery(merchantId, deliveryId(event.id, endpoint.id));
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, lastStatusCode: 204, nextAttemptAt: null });
    expectSignedBy(secret, receiver.received[2]!);
  });

  it('marks a delivery failed after 5 failed attempts, and a manual retry makes one more attempt', async () => {
    const { endpoint } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    receiver.statuses = [500, 500, 500, 500, 500];
    await createPayment(deps, merchantId, newPayment());
    for (const wait of [0, 300, 900, 3600, 21600]) {
      deps.clock.advance(wait * 1000);
      await drain();
    }
    expect(receiver.received).toHaveLength(5);
    const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
    const id = deliveryId(event.id, endpoint.id);
    const failed = await deps.store.getDelivery(merchantId, id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 5, lastStatusCode: 500, nextAttemptAt: null });
    expect(failed?.lastError).toBe('receiver says no');

    await retryDelivery(deps, merchantId, id);
    await drain();
    expect(receiver.received).toHaveLength(6);
    expect(await deps.store.getDelivery(merchantId, id)).toMatchObject({ status: 'succeeded', attempts: 6 });
    await expect(retryDelivery(deps, merchantId, id)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('brings a pending delivery’s attempt forward (test mode): one attempt now, and the work of the old schedule makes none', async () => {
    const { endpoint } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    // The third attempt succeeds: no delivery is left pending for the tests after this one (they share the receiver and the clock).
    receiver.statuses = [500, 500];
    await createPayment(deps, merchantId, newPayment());
    await drain();
    const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
    const id = deliveryId(event.id, endpoint.id);
    expect(await deps.store.getDelivery(merchantId, id)).toMatchObject({ status: 'pending', attempts: 1 });

    step();
    await retryDelivery(deps, merchantId, id);
    await drain();
    const brought = await deps.store.getDelivery(merchantId, id);
    expect(brought).toMatchObject({ status: 'pending', attempts: 2, manual: false });
    expect(receiver.received).toHaveLength(2);

    // Past the first schedule's attempt (5 min), before the new one's (15 min after the brought-forward attempt).
    deps.clock.advance(301_000);
    await drain();
    expect(receiver.received).toHaveLength(2);
    expect(await deps.store.getDelivery(merchantId, id)).toMatchObject({ attempts: 2, nextAttemptAt: brought!.nextAttemptAt });
    deps.clock.advance(900_000);
    await drain();
    expect(receiver.received).toHaveLength(3);
    expect(await deps.store.getDelivery(merchantId, id)).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('does not bring a pending delivery forward with a live key', async () => {
    const { endpoint } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    receiver.statuses = [500];
    await createPayment(deps, merchantId, newPayment());
    await drain();
    const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
    deps.settings.apiKeyPrefix = 'sk_live_';
    try {
      await expect(retryDelivery(deps, merchantId, deliveryId(event.id, endpoint.id))).rejects.toMatchObject({ code: 'invalid_state' });
    } finally {
      deps.settings.apiKeyPrefix = 'sk_test_';
    }
    // Its second attempt, on schedule, succeeds: nothing left pending for the tests after this one.
    deps.clock.advance(301_000);
    await drain();
    expect(await deps.store.getDelivery(merchantId, deliveryId(event.id, endpoint.id))).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('expires a delivery whose next attempt would come after the event’s 24 hours', async () => {
    deps.settings.webhookRetryDelaysSeconds = [3600, 86_400];
    try {
      const { endpoint } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
      receiver.statuses = [500, 500];
      await createPayment(deps, merchantId, newPayment());
      await drain();
      deps.clock.advance(3600_000);
      await drain();
      const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
      expect(await deps.store.getDelivery(merchantId, deliveryId(event.id, endpoint.id))).toMatchObject({ status: 'expired', attempts: 2 });
    } finally {
      deps.settings.webhookRetryDelaysSeconds = [300, 900, 3600, 21600];
    }
  });

  it('sends only the event types an endpoint asked for, to every endpoint that asked', async () => {
    await createWebhookEndpoint(deps, merchantId, { url: `${receiver.url}?a`, events: ['payment.voided'] });
    await createWebhookEndpoint(deps, merchantId, { url: `${receiver.url}?b`, events: ['payment.voided', 'payment.authorized'] });
    const payment = await createPayment(deps, merchantId, newPayment());
    step();
    await voidPayment(deps, merchantId, payment.id, null);
    await drain();
    const types = receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type).sort();
    expect(types).toEqual(['payment.authorized', 'payment.voided', 'payment.voided']);
  });

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const { endpoint, secret: oldSecret } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    const { secret: newSecret } = await rotateWebhookSecret(deps, merchantId, endpoint.id);
    await createPayment(deps, merchantId, newPayment());
    await drain();
    const during = receiver.received[0]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(during.body, during.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(during.body, during.headers)).not.toThrow();

    deps.clock.advance(24 * 3600 * 1000 + 1000);
    await createPayment(deps, merchantId, newPayment());
    await drain();
    const after = receiver.received.at(-1)!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expectSignedBy(newSecret, after);
    expect(() => expectSignedBy(oldSecret, after)).toThrow();
  });

  it('signs with the current secret and the one it replaced only, however many rotations happen within 24 hours', async () => {
    const { endpoint, secret: first } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    const { secret: second } = await rotateWebhookSecret(deps, merchantId, endpoint.id);
    const { secret: third } = await rotateWebhookSecret(deps, merchantId, endpoint.id);
    await createPayment(deps, merchantId, newPayment());
    await drain();
    const signed = receiver.received.at(-1)!;
    expect(signed.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(third).verify(signed.body, signed.headers)).not.toThrow();
    expect(() => new Webhook(second).verify(signed.body, signed.headers)).not.toThrow();
    expect(() => expectSignedBy(first, signed)).toThrow();
    expect((await deps.store.getWebhookEndpoint(merchantId, endpoint.id))!.secrets.map((s) => s.version)).toEqual([2, 3]);
  });

  it('creates one delivery per event and endpoint even when the event is dispatched twice', async () => {
    await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    await createPayment(deps, merchantId, newPayment());
    const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
    // A second dispatch of the same event, as an at-least-once queue may deliver.
    await deps.store.scheduleWork({ id: deps.ids.next('work'), kind: 'dispatch_event', ref: event.id, merchantId, runAt: deps.clock.now().toISOString() });
    await drain();
    const deliveries = await deps.store.listDeliveries(merchantId, { eventId: event.id, limit: 10, offset: 0 });
    expect(deliveries.items).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('refuses loopback URLs where the runtime is not the local gateway, and never posts to one', async () => {
    const { endpoint } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    deps.settings.allowLoopbackUrls = false;
    try {
      for (const url of ['http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', 'https://localhost/hooks', 'https://127.0.0.5/x']) {
        await expect(createWebhookEndpoint(deps, merchantId, { url, events: [] })).rejects.toMatchObject({ code: 'invalid_url', details: { param: 'url' } });
      }
      await expect(
        createIntent(deps, merchantId, { amount: 100, currency: 'EUR', successUrl: 'http://localhost/ok', cancelUrl: null, orderId: null, description: null, captureMethod: 'automatic', customerEmail: null, metadata: {} }),
      ).rejects.toMatchObject({ code: 'invalid_url', details: { param: 'success_url' } });
      // An endpoint registered earlier on loopback is not posted to either.
      await createPayment(deps, merchantId, newPayment());
      await drain();
      expect(receiver.received).toHaveLength(0);
      const event = (await deps.store.listEvents(merchantId, { limit: 1, offset: 0 })).items[0]!;
      expect(await deps.store.getDelivery(merchantId, deliveryId(event.id, endpoint.id))).toMatchObject({ status: 'failed', lastError: 'loopback URLs are not delivered to' });
    } finally {
      deps.settings.allowLoopbackUrls = true;
    }
  });

  it('holds the cap of 16 endpoints per merchant when 40 creates race, and a delete frees a place', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => createWebhookEndpoint(deps, merchantId, { url: `https://example.com/hooks/${i}`, events: [] })),
    );
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(16);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'validation_error' });
    expect(await deps.store.listWebhookEndpoints(merchantId)).toHaveLength(16);

    const one = (created[0] as PromiseFulfilledResult<{ endpoint: { id: string } }>).value.endpoint.id;
    expect(await deps.store.deleteWebhookEndpoint(merchantId, one)).toBe(true);
    await expect(createWebhookEndpoint(deps, merchantId, { url: 'https://example.com/again', events: [] })).resolves.toBeDefined();
    await expect(createWebhookEndpoint(deps, merchantId, { url: 'https://example.com/too-many', events: [] })).rejects.toMatchObject({ code: 'validation_error' });
  });

  it('stores no webhook secret: it is derived again when needed', async () => {
    const { endpoint, secret } = await createWebhookEndpoint(deps, merchantId, { url: receiver.url, events: [] });
    const stored = await deps.store.getWebhookEndpoint(merchantId, endpoint.id);
    expect(JSON.stringify(stored)).not.toContain(secret.slice('whsec_'.length, 20));
  });
});

describe('due work', () => {
  it('is claimed by one worker only, and runs again after its lease if the worker died', async () => {
    const runAt = deps.clock.now().toISOString();
    await deps.store.scheduleWork({ id: deps.ids.next('work'), kind: 'expire_authorization', ref: 'pay_000000000000000000000000', merchantId, runAt });
    const now = deps.clock.now();
    const lease = new Date(now.getTime() + 30_000);
    const [a, b] = await Promise.all([deps.store.claimDueWork(now, lease, 50), deps.store.claimDueWork(now, lease, 50)]);
    const mine = [...a, ...b].filter((w) => w.merchantId === merchantId);
    expect(mine).toHaveLength(1);

    // The worker that claimed it dies: nothing is due until the lease ends, then it is due again.
    expect((await deps.store.claimDueWork(now, lease, 50)).filter((w) => w.merchantId === merchantId)).toHaveLength(0);
    const later = new Date(now.getTime() + 31_000);
    const again = (await deps.store.claimDueWork(later, new Date(later.getTime() + 30_000), 50)).filter((w) => w.merchantId === merchantId);
    expect(again).toHaveLength(1);
    await deps.store.completeWork(again[0]!);
  });
});
