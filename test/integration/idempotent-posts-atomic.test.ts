/**
 * Every POST under /api/v1 remembers its answer in the same transaction as the change it reports:
 * a crash between the change and a separate "remember the answer" write would let a retry run the
 * operation twice (a second webhook endpoint, a second cancellation event). Here that separate
 * write fails whenever it is attempted, so a route that still relies on it answers 500; each route
 * must answer its success, and its key must replay it byte for byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { createPayment } from '../../shared/commands/payments.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import type { WebhookDelivery } from '../../shared/domain/webhooks.ts';
import { buildHandler, type AnyEndpoint } from '../../shared/http/endpoint.ts';
import type { Store } from '../../shared/ports.ts';
import { ROUTES, type RouteName } from '../../shared/routes.ts';
import { newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let noSeparateAnswer: Dependencies;
let merchantId: string;
let apiKey: string;

/** The store, except that remembering an answer on its own (apart from a change) fails. */
function storeWithoutSeparateAnswers(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'completeIdempotent') {
        return async () => {
          throw new Error('the answer was remembered apart from its change');
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

beforeAll(async () => {
  deps = await testDependencies();
  const created = await createMerchant(deps, 'Atomic Merchant');
  merchantId = created.merchant.id;
  apiKey = created.key.apiKey;
  noSeparateAnswer = { ...deps, store: storeWithoutSeparateAnswers(deps.store) };
});

const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2031, cvv: '123' };

/** A valid request for each POST route under /api/v1, and what it needs to exist first. */
const CASES: Partial<Record<RouteName, () => Promise<{ path: string; params?: Record<string, string>; body: unknown }>>> = {
  authorizePayment: async () => ({ path: '/api/v1/payments/authorize', body: { amount: 1000, currency: 'USD', card: CARD } }),
  salePayment: async () => ({ path: '/api/v1/payments/sale', body: { amount: 1000, currency: 'USD', card: CARD } }),
  capturePayment: async () => {
    const { id } = await createPayment(deps, merchantId, newPayment());
    return { path: `/api/v1/payments/${id}/capture`, params: { id }, body: {} };
  },
  voidPayment: async () => {
    const { id } = await createPayment(deps, merchantId, newPayment());
    return { path: `/api/v1/payments/${id}/void`, params: { id }, body: {} };
  },
  refundPayment: async () => {
    const { id } = await createPayment(deps, merchantId, newPayment({ capture: true }));
    return { path: `/api/v1/payments/${id}/refund`, params: { id }, body: { amount: 100 } };
  },
  createPaymentIntent: async () => ({ path: '/api/v1/payment-intents', body: { amount: 2500, currency: 'USD', success_url: 'https://shop.example/done' } }),
  cancelPaymentIntent: async () => {
    const answer = await call('createPaymentIntent', { path: '/api/v1/payment-intents', body: { amount: 2500, currency: 'USD', success_url: 'https://shop.example/done' } }, deps);
    const { id } = JSON.parse(answer.body) as { id: string };
    return { path: `/api/v1/payment-intents/${id}/cancel`, params: { id }, body: {} };
  },
  expirePaymentNow: async () => {
    const { id } = await createPayment(deps, merchantId, newPayment());
    return { path: `/api/v1/test_helpers/payments/${id}/expire`, params: { id }, body: {} };
  },
  expirePaymentIntentNow: async () => {
    const answer = await call('createPaymentIntent', { path: '/api/v1/payment-intents', body: { amount: 2500, currency: 'USD', success_url: 'https://shop.example/done' } }, deps);
    const { id } = JSON.parse(answer.body) as { id: string };
    return { path: `/api/v1/test_helpers/payment-intents/${id}/expire`, params: { id }, body: {} };
  },
  createWebhookEndpoint: async () => ({ path: '/api/v1/webhook-endpoints', body: { url: 'https://shop.example/hooks' } }),
  rotateWebhookSecret: async () => {
    const answer = await call('createWebhookEndpoint', { path: '/api/v1/webhook-endpoints', body: { url: 'https://shop.example/rotated' } }, deps);
    const { id } = JSON.parse(answer.body) as { id: string };
    return { path: `/api/v1/webhook-endpoints/${id}/rotate-secret`, params: { id }, body: {} };
  },
  updateFraudSettings: async () => ({ path: '/api/v1/fraud/settings', body: { review_above: 35, decline_above: 80 } }),
  // A value of its own each time: a value already blocked is a 409, not a success to replay.
  createBlockListEntry: async () => ({ path: '/api/v1/fraud/block-list', body: { type: 'email', value: `tester-${deps.ids.secret(8)}@example.com` } }),
  retryWebhookDelivery: async () => {
    const now = deps.clock.now().toISOString();
    const delivery: WebhookDelivery = {
      id: deps.ids.next('webhookDelivery'), merchantId, eventId: deps.ids.next('event'), eventType: 'payment.authorized', endpointId: deps.ids.next('webhookEndpoint'),
      url: 'https://shop.example/hooks', status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, lastAttemptAt: null, nextAttemptAt: now,
      deadline: now, manual: false, createdAt: now, version: 1,
    };
    await deps.store.createDelivery(delivery, { id: deps.ids.next('work'), kind: 'deliver_webhook', ref: delivery.id, merchantId, runAt: now });
    await deps.store.saveDelivery({ ...delivery, status: 'failed', attempts: 5, nextAttemptAt: null, version: 2 }, null);
    return { path: `/api/v1/webhook-deliveries/${delivery.id}/retry`, params: { id: delivery.id }, body: {} };
  },
};

const endpoints = new Map<RouteName, AnyEndpoint>();
async function endpointOf(name: RouteName): Promise<AnyEndpoint> {
  if (!endpoints.has(name)) {
    const file = new URL(`../../functions/${ROUTES[name].handler}.ts`, import.meta.url).href;
    endpoints.set(name, ((await import(/* @vite-ignore */ file)) as { endpoint: AnyEndpoint }).endpoint);
  }
  return endpoints.get(name)!;
}

async function call(name: RouteName, request: { path: string; params?: Record<string, string>; body: unknown }, on: Dependencies, key?: string) {
  const route = ROUTES[name];
  const handler = buildHandler(await endpointOf(name), on);
  return handler(
    httpEvent({
      method: 'POST',
      path: request.path,
      routePath: route.path,
      body: request.body,
      headers: { authorization: `Bearer ${apiKey}`, ...(key ? { 'idempotency-key': key } : {}) },
      ...(request.params ? { pathParameters: request.params } : {}),
    }),
  );
}

const POST_ROUTES = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].method === 'POST' && ROUTES[name].path.startsWith('/api/v1/'));

describe('every POST under /api/v1 with an Idempotency-Key', () => {
  it('has a case here (a new route must say how it commits its answer)', () => {
    expect(POST_ROUTES.filter((name) => !CASES[name])).toEqual([]);
  });

  it.each(POST_ROUTES)('%s remembers its answer in the transaction of its change, and replays it', async (name) => {
    const request = await CASES[name]!();
    const key = `atomic-${name}-${deps.ids.secret(8)}`;
    const first = await call(name, request, noSeparateAnswer, key);
    expect(first.statusCode, first.body).toBeLessThan(300);
    const replay = await call(name, request, deps, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.statusCode).toBe(first.statusCode);
    expect(replay.body).toBe(first.body);
  });
});

describe('a request the endpoint refuses as invalid', () => {
  it('is answered 400 before any key is claimed: no idempotency write at all', async () => {
    const claims: string[] = [];
    const counting = new Proxy(deps.store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (property === 'beginIdempotent' || property === 'releaseIdempotent') claims.push(property);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const answer = await call('authorizePayment', { path: '/api/v1/payments/authorize', body: { amount: '99.99', currency: 'USD', card: CARD } }, { ...deps, store: counting }, 'invalid-body');
    expect(answer.statusCode).toBe(400);
    expect(claims).toEqual([]);
    // The same key then works for a valid request: nothing was left under it.
    const valid = await call('authorizePayment', { path: '/api/v1/payments/authorize', body: { amount: 9999, currency: 'USD', card: CARD } }, { ...deps, store: counting }, 'invalid-body');
    expect(valid.statusCode).toBe(201);
    expect(claims).toEqual(['beginIdempotent']);
  });
});
