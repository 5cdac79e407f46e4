import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, beforeAll, describe, expect, it } from 'vitest';
import { endpoint as authorizeEndpoint } from '../../functions/payments/authorize-payment.ts';
import { endpoint as captureEndpoint } from '../../functions/payments/capture-payment.ts';
import { localClient } from '../../lib/local/dynamodb-local.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { buildHandler } from '../../shared/http/endpoint.ts';
import type { HttpResult } from '../../shared/http/types.ts';
import type { IdempotencyClaim } from '../../shared/ports.ts';
import { testDependencies, type TestDependencies } from '../support/deps.ts';
import { httpEvent } from '../support/events.ts';

let deps: TestDependencies;
let merchantId: string;
let apiKey: string;

beforeAll(async () => {
  deps = await testDependencies();
  const created = await createMerchant(deps, 'Idempotent Merchant');
  merchantId = created.merchant.id;
  apiKey = created.key.apiKey;
});

const cardBody = (amount = 2500) => ({
  amount,
  currency: 'EUR',
  card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvv: '123' },
});

function authorize(body: unknown, key?: string): Promise<HttpResult> {
  const handler = buildHandler(authorizeEndpoint, deps);
  return handler(
    httpEvent({
      method: 'POST',
      path: '/api/v1/payments/authorize',
      body,
      headers: { authorization: `Bearer ${apiKey}`, ...(key ? { 'idempotency-key': key } : {}) },
    }),
  );
}

async function paymentsCreated(): Promise<number> {
  const page = await deps.store.listTransactions(merchantId, { limit: 100, offset: 0 });
  return page.items.filter((t) => t.type === 'authorize').length;
}

describe('idempotency keys against DynamoDB Local', () => {
  it('creates one payment when 25 requests with one key race, and every other answer is a replay or in-use', async () => {
    const before = await paymentsCreated();
    const answers = await Promise.all(Array.from({ length: 25 }, () => authorize(cardBody(), 'race-key-25')));

    expect(await paymentsCreated()).toBe(before + 1);
    const created = answers.filter((a) => a.statusCode === 201 && !a.headers['idempotent-replayed']);
    expect(created).toHaveLength(1);
    const paymentId = JSON.parse(created[0]!.body).id as string;
    for (const answer of answers) {
      if (answer.statusCode === 201) {
        expect(JSON.parse(answer.body).id).toBe(paymentId);
      } else {
        expect(answer.statusCode).toBe(409);
        expect(JSON.parse(answer.body).error.code).toBe('idempotency_key_in_use');
      }
    }
  });

  it('replays the first answer byte for byte, marked Idempotent-Replayed, and creates nothing new', async () => {
    const first = await authorize(cardBody(1234), 'replay-key');
    const before = await paymentsCreated();
    const again = await authorize(cardBody(1234), 'replay-key');

    expect(again.statusCode).toBe(first.statusCode);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await paymentsCreated()).toBe(before);
  });

  it('answers 409 idempotency_key_mismatch for the same key with another body', async () => {
    await authorize(cardBody(100), 'mismatch-key');
    const other = await authorize(cardBody(101), 'mismatch-key');
    expect(other.statusCode).toBe(409);
    expect(JSON.parse(other.body).error.code).toBe('idempotency_key_mismatch');
  });

  it('treats bodies that differ only in key order as the same request', async () => {
    const first = await authorize(cardBody(555), 'canonical-key');
    const reordered = await authorize(
      { card: { cvv: '123', exp_year: 2030, exp_month: 12, number: '4242424242424242' }, currency: 'EUR', amount: 555 },
      'canonical-key',
    );
    expect(reordered.headers['idempotent-replayed']).toBe('true');
    expect(reordered.body).toBe(first.body);
  });

  it('forgets a validation error so that the retry runs again', async () => {
    const invalid = await authorize({ ...cardBody(), amount: 0 }, 'validation-key');
    expect(invalid.statusCode).toBe(400);
    const retry = await authorize({ ...cardBody(), amount: 0 }, 'validation-key');
    expect(retry.statusCode).toBe(400);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const stored = await readIdempotencyRecord('validation-key');
    expect(stored).toBeUndefined();
  });

  it('remembers a state error (already_captured) and replays it', async () => {
    const created = JSON.parse((await authorize(cardBody(900))).body) as { id: string };
    const capture = buildHandler(captureEndpoint, deps);
    const captureEvent = (key: string) =>
      httpEvent({
        method: 'POST',
        path: `/api/v1/payments/${created.id}/capture`,
        routePath: '/api/v1/payments/{id}/capture',
        pathParameters: { id: created.id },
        body: {},
        headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key },
      });
    expect((await capture(captureEvent('capture-1'))).statusCode).toBe(200);
    const second = await capture(captureEvent('capture-2'));
    expect(second.statusCode).toBe(400);
    const replay = await capture(captureEvent('capture-2'));
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(second.body);
  });

  it('stores the completed answer in the same record the lock took, with a 24-hour expiry', async () => {
    await authorize(cardBody(777), 'stored-key');
    const record = await readIdempotencyRecord('stored-key');
    expect(record?.['status']).toBe('COMPLETED');
    expect((record?.['answer'] as { statusCode: number }).statusCode).toBe(201);
    const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
    expect(record?.['ttl']).toBe(nowSeconds + 86_400);
  });
});

describe('the idempotency record lifecycle in the store', () => {
  const claim = (overrides: Partial<IdempotencyClaim> = {}): IdempotencyClaim => ({
    recordId: `m#${Math.random()}`,
    ownerToken: 'owner-a',
    expiresAtEpochSeconds: 2_000_000_000,
    requestHash: 'hash-1',
    lockExpiresAtEpochSeconds: 1_000_000_060,
    nowEpochSeconds: 1_000_000_000,
    ...overrides,
  });

  it('lets only the owner release a lock: a duplicate cannot delete the running request’s record', async () => {
    const first = claim();
    expect(await deps.store.beginIdempotent(first)).toEqual({ outcome: 'acquired' });
    expect(await deps.store.beginIdempotent({ ...first, ownerToken: 'owner-b' })).toEqual({ outcome: 'in_progress' });
    await deps.store.releaseIdempotent({ ...first, ownerToken: 'owner-b' });
    expect(await deps.store.beginIdempotent({ ...first, ownerToken: 'owner-c' })).toEqual({ outcome: 'in_progress' });
    await deps.store.releaseIdempotent(first);
    expect(await deps.store.beginIdempotent({ ...first, ownerToken: 'owner-d' })).toEqual({ outcome: 'acquired' });
  });

  it('lets the same request take over a lock abandoned past its lock expiry, but not another body', async () => {
    const first = claim();
    await deps.store.beginIdempotent(first);
    const later = { nowEpochSeconds: first.lockExpiresAtEpochSeconds + 1, lockExpiresAtEpochSeconds: first.lockExpiresAtEpochSeconds + 61 };
    expect(await deps.store.beginIdempotent({ ...first, ...later, ownerToken: 'x', requestHash: 'hash-2' })).toEqual({ outcome: 'mismatch' });
    expect(await deps.store.beginIdempotent({ ...first, ...later, ownerToken: 'y' })).toEqual({ outcome: 'acquired' });
    // The crashed first owner can no longer complete it.
    await expect(deps.store.completeIdempotent(first, { statusCode: 201, body: '{}' })).rejects.toThrow(/no longer held/);
  });

  it('treats a record past its 24-hour expiry as free even before DynamoDB’s TTL deletes it', async () => {
    const first = claim();
    await deps.store.beginIdempotent(first);
    await deps.store.completeIdempotent(first, { statusCode: 201, body: '{"a":1}' });
    expect(await deps.store.beginIdempotent({ ...first, ownerToken: 'z' })).toEqual({ outcome: 'replay', answer: { statusCode: 201, body: '{"a":1}' } });
    const expired = { ...first, ownerToken: 'w', nowEpochSeconds: first.expiresAtEpochSeconds + 1 };
    expect(await deps.store.beginIdempotent(expired)).toEqual({ outcome: 'acquired' });
  });
});

async function readIdempotencyRecord(key: string): Promise<Record<string, unknown> | undefined> {
  const { createHash } = await import('node:crypto');
  const doc = DynamoDBDocumentClient.from(localClient(inject('dynamoEndpoint'), inject('dynamoCredentials')));
  const recordId = `${merchantId}#${createHash('sha256').update(key).digest('hex')}`;
  const { Item } = await doc.send(
    new GetCommand({ TableName: deps.tableName, Key: { pk: `IDEMPOTENCY#${recordId}`, sk: 'IDEMPOTENCY' }, ConsistentRead: true }),
  );
  return Item;
}
