/**
 * The key lookup of every merchant request, pinned (aws-sdk-client-mock): the key and its caller's
 * failed authentications of the minute are read in ONE request, and keys DynamoDB leaves
 * unprocessed are asked again.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => dynamo.reset());
const store = () =>
  new DynamoDbStore(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'paygate-test');

const NOW_MS = Date.parse('2026-12-01T10:00:42.000Z');
const failures = { key: 'auth-failure:192.0.2.7', limit: 20, windowSeconds: 60 };
const KEY = { pk: 'APIKEY#abc', sk: 'APIKEY' };
const COUNTER = { pk: `RATE#auth-failure:192.0.2.7#60#${Date.parse('2026-12-01T10:00:00.000Z') / 1000}`, sk: 'RATE' };
const record = { ...KEY, entity: 'api_key', id: 'key_1', merchantId: 'mch_1', keyHash: 'abc', displayPrefix: 'sk_test_ab', createdAt: 'x', revokedAt: null };

describe('the API key lookup', () => {
  it('reads the key and its caller\'s failures of this minute in one BatchGetItem', async () => {
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'paygate-test': [{ ...COUNTER, hits: 7 }, record] } });
    const found = await store().findApiKey('abc', { failures, nowMs: NOW_MS });
    expect(dynamo.commandCalls(BatchGetCommand).map((c) => c.args[0].input)).toEqual([{ RequestItems: { 'paygate-test': { Keys: [KEY, COUNTER] } } }]);
    expect(found).toEqual({ record: { id: 'key_1', merchantId: 'mch_1', keyHash: 'abc', displayPrefix: 'sk_test_ab', createdAt: 'x', revokedAt: null }, callerFailures: 7 });
  });

  it('asks again for what DynamoDB left unprocessed; no counter yet is no failure', async () => {
    dynamo
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'paygate-test': [] }, UnprocessedKeys: { 'paygate-test': { Keys: [KEY] } } })
      .resolves({ Responses: { 'paygate-test': [record] } });
    const found = await store().findApiKey('abc', { failures, nowMs: NOW_MS });
    expect(dynamo.commandCalls(BatchGetCommand)[1]!.args[0].input).toEqual({ RequestItems: { 'paygate-test': { Keys: [KEY] } } });
    expect(found.record?.merchantId).toBe('mch_1');
    expect(found.callerFailures).toBe(0);
  });
});
