/**
 * A store that does not answer is a 503 with Retry-After (retry later, safely), never a 500:
 * `/health` says so, and so does every route that needs the store.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { endpoint as authorizeEndpoint } from '../../functions/payments/authorize-payment.ts';
import { endpoint as healthEndpoint } from '../../functions/health/get-health.ts';
import { freePort, localClient } from '../../lib/local/dynamodb-local.ts';
import { DynamoDbRateLimiter } from '../../shared/adapters/dynamodb/rate-limiter.ts';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { buildHandler } from '../../shared/http/endpoint.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let down: TestDependencies;
let apiKey: string;

beforeAll(async () => {
  deps = await testDependencies();
  apiKey = (await createMerchant(deps, 'Unreachable Store Merchant')).key.apiKey;
  // The same table's name, on a port where nothing listens.
  const nowhere = localClient(`http://127.0.0.1:${await freePort()}`, inject('dynamoCredentials'));
  down = { ...deps, store: new DynamoDbStore(nowhere, deps.tableName), rateLimiter: new DynamoDbRateLimiter(nowhere, deps.tableName) };
});

describe('GET /health', () => {
  it('answers 200 {"status":"ok"} when the store answers', async () => {
    const answer = await buildHandler(healthEndpoint, deps)(httpEvent({ method: 'GET', path: '/health' }));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });

  it('answers 503 service_unavailable with Retry-After when it does not', async () => {
    const answer = await buildHandler(healthEndpoint, down)(httpEvent({ method: 'GET', path: '/health' }));
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body).error).toMatchObject({ type: 'api_error', code: 'service_unavailable' });
    expect(answer.headers?.['retry-after']).toBe('1');
  });
});

describe('a route that needs the store', () => {
  it('answers 503 service_unavailable with Retry-After, not 500, when the store cannot be reached', async () => {
    const answer = await buildHandler(authorizeEndpoint, down)(
      httpEvent({
        method: 'POST',
        path: '/api/v1/payments/authorize',
        body: { amount: 1000, currency: 'USD', card: { number: '4242424242424242', exp_month: 12, exp_year: 2031, cvv: '123' } },
        headers: { authorization: `Bearer ${apiKey}` },
      }),
    );
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body).error).toMatchObject({ type: 'api_error', code: 'service_unavailable' });
    expect(answer.headers?.['retry-after']).toBe('1');
  });
});
