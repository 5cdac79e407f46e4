import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { buildHandler, type AnyEndpoint } from '../../shared/http/endpoint.ts';
import { ROUTES, type RouteSpec } from '../../shared/routes.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let apiKey: string;
const handlers = new Map<RouteSpec, ReturnType<typeof buildHandler>>();

beforeAll(async () => {
  deps = await testDependencies();
  deps.clock.set(new Date());
  apiKey = (await createMerchant(deps, 'Fuzz Merchant')).key.apiKey;
  deps.isAdmin = () => true;
  for (const route of Object.values(ROUTES) as RouteSpec[]) {
    const url = new URL(`../../functions/${route.handler}.ts`, import.meta.url).href;
    const module = (await import(/* @vite-ignore */ url)) as { endpoint: AnyEndpoint };
    handlers.set(route, buildHandler(module.endpoint, deps));
  }
});

const card = fc.record({
  number: fc.oneof(fc.constantFrom('4242424242424242', '4000000000000002', '378282246310005'), fc.string({ maxLength: 30 })),
  exp_month: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.string({ maxLength: 3 })),
  exp_year: fc.oneof(fc.integer({ min: 1990, max: 2200 }), fc.constant(null)),
  cvv: fc.oneof(fc.constantFrom('123', '1234'), fc.string({ maxLength: 6 })),
}, { requiredKeys: [] });

/** Bodies near the contract's shapes, and garbage. */
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.record({
    amount: fc.oneof(fc.integer({ min: -10, max: 200_000_000 }), fc.double(), fc.string({ maxLength: 5 })),
    currency: fc.oneof(fc.constantFrom('USD', 'eur', 'MAD', 'GBP', ''), fc.string({ maxLength: 5 })),
    card,
    url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 50 })),
    success_url: fc.oneof(fc.webUrl(), fc.constant('http://localhost/ok')),
    events: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
    metadata: fc.dictionary(fc.string({ maxLength: 45 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer())),
    client_secret: fc.string({ maxLength: 60 }),
    name: fc.string({ maxLength: 250 }),
    customer: fc.record({ email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })), ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 }), fc.integer()) }, { requiredKeys: [] }),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  // The fraud routes' shapes alone (a strict body refuses any other key first): thresholds, and block-list entries, near their shapes and not.
  fc.record({
    review_above: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null)),
    decline_above: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null)),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({
    type: fc.oneof(fc.constantFrom('card_fingerprint', 'email', 'ip', 'EMAIL', ''), fc.string({ maxLength: 20 })),
    value: fc.oneof(fc.emailAddress(), fc.ipV4(), fc.ipV6(), fc.constant('pQ3x8KfLz0aB7mN2cR5tYw'), fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
);
const id = fc.oneof(fc.constantFrom('pay_000000000000000000000000', 'pi_000000000000000000000000', 'mch_000000000000000000000000', 'whd_000000000000000000000000', 'bl_000000000000000000000000', 'checkout.js'), fc.string({ maxLength: 40 }));
const query = fc.dictionary(fc.constantFrom('limit', 'offset', 'status', 'type', 'client_secret', 'event_id', 'starting_after', 'ending_before', 'x'), fc.string({ maxLength: 12 }));

describe('hostile input never gets a 500', () => {
  it.each((Object.values(ROUTES) as RouteSpec[]).map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers 2xx-4xx in the contract’s shape', async (_, route) => {
    const handler = handlers.get(route)!;
    await fc.assert(
      fc.asyncProperty(body, id, query, fc.constantFrom(apiKey, '', 'sk_test_short', `Bearer ${apiKey}`), fc.option(fc.string({ maxLength: 300 })), async (raw, idValue, q, auth, idemKey) => {
        const headers: Record<string, string> = { authorization: auth.startsWith('sk_') ? `Bearer ${auth}` : auth };
        if (idemKey !== null) headers['idempotency-key'] = idemKey;
        const answer = await handler(
          httpEvent({ method: route.method, path: route.path, body: route.method === 'GET' ? undefined : raw, headers, query: q, pathParameters: { id: idValue, key_id: idValue, file: idValue } }),
        );
        expect(answer.statusCode).toBeLessThan(500);
        expect(answer.headers['x-request-id']).toMatch(/^req_/);
        if (answer.statusCode >= 400) {
          const parsed = JSON.parse(answer.body) as { error: { type: string; code: string; message: string } };
          expect(typeof parsed.error.type).toBe('string');
          expect(typeof parsed.error.code).toBe('string');
          expect(parsed.error.message).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** Near the fraud routes' own shapes: a strict body refuses any other key, so these reach the commands' own rules. */
const threshold = fc.oneof(fc.integer({ min: -5, max: 105 }), fc.integer({ min: 0, max: 100 }), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null));
const fraudBodies: ReadonlyArray<readonly [keyof typeof ROUTES, fc.Arbitrary<unknown>]> = [
  ['updateFraudSettings', fc.record({ review_above: threshold, decline_above: threshold }, { requiredKeys: [] })],
  [
    'createBlockListEntry',
    fc.record(
      {
        type: fc.oneof(fc.constantFrom('card_fingerprint', 'email', 'ip'), fc.string({ maxLength: 20 })),
        value: fc.oneof(fc.emailAddress(), fc.ipV4(), fc.ipV6(), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
      },
      { requiredKeys: [] },
    ),
  ],
];

describe('hostile input to the fraud routes, in their own shapes', () => {
  it.each(fraudBodies)('%s answers 2xx-4xx in the contract’s shape', async (name, bodies) => {
    const handler = handlers.get(ROUTES[name])!;
    await fc.assert(
      fc.asyncProperty(bodies, async (value) => {
        const answer = await handler(httpEvent({ method: 'POST', path: ROUTES[name].path, body: JSON.stringify(value), headers: { authorization: `Bearer ${apiKey}` } }));
        expect(answer.statusCode, answer.body).toBeLessThan(500);
        if (answer.statusCode >= 400) expect(JSON.parse(answer.body)).toMatchObject({ error: { type: expect.any(String), code: expect.any(String), message: expect.any(String) } });
      }),
      { numRuns: 60 },
    );
  });
});
