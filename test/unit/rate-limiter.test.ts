/**
 * The rate limiter's one write, pinned: every window of a request in one conditional update of one
 * item, refused as a whole (the DynamoDB Local behaviour is in test/integration/rate-limits.test.ts).
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbRateLimiter, STALE_COUNTERS_REMOVED } from '../../shared/adapters/dynamodb/rate-limiter.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());
afterEach(() => dynamo.reset());

const limiter = () =>
  new DynamoDbRateLimiter(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'paygate-test');

const NOW_MS = Date.parse('2026-11-24T10:20:30.500Z');
const SECOND = NOW_MS / 1000 - 0.5;
const HOUR = Date.parse('2026-11-24T10:00:00.000Z') / 1000;
const PAYMENT_WINDOWS = [
  { key: 'payment:mch_1', limit: 20, windowSeconds: 1 },
  { key: 'payment:mch_1', limit: 10_000, windowSeconds: 3600 },
];

describe('DynamoDbRateLimiter', () => {
  it('counts both windows of a payment route in one conditional update of the hour item', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 7, [`w1_${SECOND}`]: 3 } });
    const decision = await limiter().hit(PAYMENT_WINDOWS, NOW_MS);

    expect(dynamo.calls()).toHaveLength(1);
    const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ pk: `RATE#payment:mch_1#3600#${HOUR}`, sk: 'RATE' });
    expect(input.ConditionExpression).toBe('(attribute_not_exists(#c0) OR #c0 < :limit0) AND (attribute_not_exists(#c1) OR #c1 < :limit1)');
    expect(input.ExpressionAttributeNames).toMatchObject({ '#c0': `w1_${SECOND}`, '#c1': 'hits', '#ttl': 'ttl' });
    expect(input.ExpressionAttributeValues).toEqual({ ':one': 1, ':limit0': 20, ':limit1': 10_000, ':ttl': HOUR + 3600 + 60 });
    expect(input.UpdateExpression).toMatch(/^ADD #c0 :one, #c1 :one SET #ttl = :ttl REMOVE #r0_2, /);
    // The previous minute's per-second counters go; the current one and the one just before stay
    // (an instance whose clock is a little behind may still count there).
    const removed = Object.entries(input.ExpressionAttributeNames!).filter(([k]) => k.startsWith('#r')).map(([, v]) => v);
    expect(removed).toHaveLength(STALE_COUNTERS_REMOVED);
    expect(removed).toContain(`w1_${SECOND - 2}`);
    expect(removed).toContain(`w1_${SECOND - STALE_COUNTERS_REMOVED - 1}`);
    expect(removed).not.toContain(`w1_${SECOND}`);
    expect(removed).not.toContain(`w1_${SECOND - 1}`);
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    // The tightest window is the one reported: 17 left of the second, 9,993 of the hour.
    expect(decision).toEqual({ allowed: true, limit: 20, remaining: 17, resetEpochSeconds: SECOND + 1 });
  });

  it('answers the window that is full when the update is refused', async () => {
    const full = (item: Record<string, { N: string }>) =>
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });
    dynamo.on(UpdateCommand).rejects(full({ hits: { N: '10000' }, [`w1_${SECOND}`]: { N: '2' } }));
    expect(await limiter().hit(PAYMENT_WINDOWS, NOW_MS)).toEqual({ allowed: false, limit: 10_000, remaining: 0, resetEpochSeconds: HOUR + 3600 });
    dynamo.reset();
    dynamo.on(UpdateCommand).rejects(full({ hits: { N: '50' }, [`w1_${SECOND}`]: { N: '20' } }));
    expect(await limiter().hit(PAYMENT_WINDOWS, NOW_MS)).toEqual({ allowed: false, limit: 20, remaining: 0, resetEpochSeconds: SECOND + 1 });
  });

  it('counts a one-window class in a plain per-second item, with nothing to remove', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 1 } });
    const decision = await limiter().hit([{ key: 'public:203.0.113.9', limit: 50, windowSeconds: 1 }], NOW_MS);
    const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ pk: `RATE#public:203.0.113.9#1#${SECOND}`, sk: 'RATE' });
    expect(input.UpdateExpression).toBe('ADD #c0 :one SET #ttl = :ttl');
    expect(input.ConditionExpression).toBe('(attribute_not_exists(#c0) OR #c0 < :limit0)');
    expect(decision).toEqual({ allowed: true, limit: 50, remaining: 49, resetEpochSeconds: SECOND + 1 });
  });
});
