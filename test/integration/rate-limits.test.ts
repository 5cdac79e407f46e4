import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { localClient } from '../../lib/local/dynamodb-local.ts';
import { endpoint as getPaymentEndpoint } from '../../functions/payments/get-payment.ts';
import { endpoint as listTransactionsEndpoint } from '../../functions/transactions/list-transactions.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { EDGE_SECRET_HEADER, VIEWER_IP_HEADER } from '../../shared/http/client-ip.ts';
import { buildHandler } from '../../shared/http/endpoint.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;

beforeAll(async () => {
  deps = await testDependencies();
  deps.settings.rateLimits = { paymentPerSecond: 3, paymentPerHour: 5, transactionPerSecond: 2, publicPerSecond: 50, authFailuresPerMinute: 1000, adminPerMinute: 1000 };
  deps.clock.set(new Date('2026-11-24T10:00:00.000Z'));
});

const getPayment = (apiKey: string) =>
  httpEvent({
    method: 'GET',
    path: '/api/v1/payments/pay_000000000000000000000000',
    routePath: '/api/v1/payments/{id}',
    pathParameters: { id: 'pay_000000000000000000000000' },
    headers: { authorization: `Bearer ${apiKey}` },
  });

describe('rate limits counted in the shared store', () => {
  it('holds the per-second limit across two function instances and answers 429 with Retry-After', async () => {
    const { key } = await createMerchant(deps, 'Busy Merchant');
    const instanceA = buildHandler(getPaymentEndpoint, deps);
    const instanceB = buildHandler(getPaymentEndpoint, deps);

    const answers = [];
    for (const handler of [instanceA, instanceB, instanceA, instanceB]) answers.push(await handler(getPayment(key.apiKey)));

    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404, 429]);
    const limited = answers[3]!;
    expect(JSON.parse(limited.body).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(answers[0]!.headers['x-ratelimit-limit']).toBe('3');
    expect(answers[0]!.headers['x-ratelimit-remaining']).toBe('2');
    expect(answers[0]!.headers['x-ratelimit-reset']).toBe(String(Date.parse('2026-11-24T10:00:01.000Z') / 1000));
  });

  it('opens again in the next second, until the hourly limit is used up', async () => {
    const { key } = await createMerchant(deps, 'Hourly Merchant');
    const handler = buildHandler(getPaymentEndpoint, deps);
    const statuses: number[] = [];
    for (let second = 0; second < 3; second++) {
      for (let i = 0; i < 2; i++) statuses.push((await handler(getPayment(key.apiKey))).statusCode);
      deps.clock.advance(1000);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    const hourly = await handler(getPayment(key.apiKey));
    expect(hourly.statusCode).toBe(429);
    expect(Number(hourly.headers['retry-after'])).toBeGreaterThan(1);
  });

  it('counts each merchant and each class separately', async () => {
    const a = await createMerchant(deps, 'A');
    const b = await createMerchant(deps, 'B');
    const payments = buildHandler(getPaymentEndpoint, deps);
    const transactions = buildHandler(listTransactionsEndpoint, deps);
    for (let i = 0; i < 3; i++) await payments(getPayment(a.key.apiKey));

    expect((await payments(getPayment(a.key.apiKey))).statusCode).toBe(429);
    expect((await payments(getPayment(b.key.apiKey))).statusCode).toBe(404);
    const list = await transactions(
      httpEvent({ method: 'GET', path: '/api/v1/transactions', headers: { authorization: `Bearer ${a.key.apiKey}` } }),
    );
    expect(list.statusCode).toBe(200);
    expect(list.headers['x-ratelimit-limit']).toBe('2');
  });

  it('keeps both windows of a merchant in one item per hour, with the previous seconds’ counters removed', async () => {
    const { key, merchant } = await createMerchant(deps, 'One Item Merchant');
    const handler = buildHandler(getPaymentEndpoint, deps);
    deps.clock.set(new Date('2026-11-24T11:00:00.000Z'));
    // 2, 1 and 1 requests in three seconds (the hourly limit here is 5).
    for (const requests of [2, 1, 1]) {
      for (let i = 0; i < requests; i++) expect((await handler(getPayment(key.apiKey))).statusCode).toBe(404);
      deps.clock.advance(1000);
    }
    const items = await rateItems(`RATE#payment:${merchant.id}#`);
    const hour = Date.parse('2026-11-24T11:00:00.000Z') / 1000;
    // The second before stays (a late instance may still count in it); older ones are gone.
    expect(items).toEqual([{ pk: `RATE#payment:${merchant.id}#3600#${hour}`, sk: 'RATE', hits: 4, [`w1_${hour + 1}`]: 1, [`w1_${hour + 2}`]: 1, ttl: hour + 3600 + 60 }]);
  });

  it('counts a refused request in no window', async () => {
    const { key, merchant } = await createMerchant(deps, 'Refused Merchant');
    const handler = buildHandler(getPaymentEndpoint, deps);
    deps.clock.set(new Date('2026-11-24T12:00:00.000Z'));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await handler(getPayment(key.apiKey))).statusCode);
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    const [item] = await rateItems(`RATE#payment:${merchant.id}#`);
    expect(item).toMatchObject({ hits: 3, [`w1_${Date.parse('2026-11-24T12:00:00.000Z') / 1000}`]: 3 });
  });

  it('lets exactly the limit through when 30 requests race in one second', async () => {
    const { merchant } = await createMerchant(deps, 'Racing Merchant');
    const nowMs = Date.parse('2026-11-24T13:00:00.000Z');
    const windows = [
      { key: `payment:${merchant.id}`, limit: 10, windowSeconds: 1 },
      { key: `payment:${merchant.id}`, limit: 1000, windowSeconds: 3600 },
    ];
    const decisions = await Promise.all(Array.from({ length: 30 }, () => deps.rateLimiter.hit(windows, nowMs)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    const [item] = await rateItems(`RATE#payment:${merchant.id}#`);
    expect(item).toMatchObject({ hits: 10 });
  });
});

describe('per-IP limits behind CloudFront', () => {
  const secret = 'edge-origin-secret-of-the-stage-0123456789abcdef';
  const wrongKey = `sk_test_${'0'.repeat(32)}`;

  it('count failed keys per viewer, not per edge server, and only for requests that came through the distribution', async () => {
    const before = { ...deps.settings };
    deps.settings.edgeOriginSecret = secret;
    deps.settings.rateLimits = { ...deps.settings.rateLimits, authFailuresPerMinute: 2 };
    deps.clock.set(new Date('2026-11-24T14:00:00.000Z'));
    try {
      const handler = buildHandler(getPaymentEndpoint, deps);
      const status = async (headers: Record<string, string>) => {
        const event = getPayment(wrongKey);
        return (await handler({ ...event, headers: { ...event.headers, ...headers } })).statusCode;
      };
      const viewer = (ip: string) => ({ [EDGE_SECRET_HEADER]: secret, [VIEWER_IP_HEADER]: ip });
      // Every request here has the same sourceIp (127.0.0.1): one edge server for all of them.
      expect([await status(viewer('198.51.100.1')), await status(viewer('198.51.100.1')), await status(viewer('198.51.100.1'))]).toEqual([401, 401, 429]);
      expect(await status(viewer('198.51.100.2'))).toBe(401);
      // Direct to the API's own endpoint, naming a new address each time: counted as the source IP.
      const forged = (ip: string) => ({ [VIEWER_IP_HEADER]: ip });
      expect([await status(forged('203.0.113.1')), await status(forged('203.0.113.2')), await status(forged('203.0.113.3'))]).toEqual([401, 401, 429]);
    } finally {
      deps.settings.edgeOriginSecret = before.edgeOriginSecret;
      deps.settings.rateLimits = before.rateLimits;
    }
  });
});

async function rateItems(prefix: string): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(localClient(inject('dynamoEndpoint'), inject('dynamoCredentials')));
  const out = await doc.send(new ScanCommand({ TableName: deps.tableName, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': prefix } }));
  return out.Items ?? [];
}
