import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { paymentIn } from './fixtures.ts';

describe('a commit to DynamoDB', () => {
  it('carries a ClientRequestToken, so the SDK retrying a commit whose answer was lost cannot apply it twice', async () => {
    const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    // The store talks through the document client: mock that class, so no call leaves the process.
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.on(TransactWriteCommand).resolves({});
    const store = new DynamoDbStore(client, 'paygate-test');
    const payment = paymentIn('captured');
    const commit = {
      payment: { ...payment, version: payment.version + 1 },
      precondition: { expectedVersion: payment.version, statusIn: ['captured' as const] },
      transaction: { id: 'txn_1', merchantId: payment.merchantId, paymentId: payment.id, type: 'refund' as const, status: 'refunded' as const, amount: 1, currency: payment.currency, reason: null, responseCode: null, declineCode: null, createdAt: payment.createdAt },
      events: [],
      work: [],
    };

    await store.commitPayment(commit);
    await store.commitPayment(commit);

    const tokens = dynamo.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
    dynamo.restore();
  });
});
