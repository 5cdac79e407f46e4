import { DynamoDBClient, TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../shared/adapters/dynamodb/store.ts';
import { PaymentChangedError } from '../../shared/ports.ts';
import { paymentIn } from './fixtures.ts';

// The store talks through the document client: mock that class, so no call leaves the process.
const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());
afterEach(() => dynamo.reset());

function store(): DynamoDbStore {
  const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return new DynamoDbStore(client, 'paygate-test');
}

/** A refund of a captured payment, as the command commits it. */
function refundCommit() {
  const payment = paymentIn('captured');
  return {
    payment: { ...payment, version: payment.version + 1 },
    precondition: { expectedVersion: payment.version, statusIn: ['captured' as const] },
    transaction: { id: 'txn_1', merchantId: payment.merchantId, paymentId: payment.id, type: 'refund' as const, status: 'refunded' as const, amount: 1, currency: payment.currency, reason: null, responseCode: null, declineCode: null, createdAt: payment.createdAt },
    events: [],
  };
}

/** A new authorization, as the command commits it. */
function newPaymentCommit() {
  const payment = paymentIn('authorized');
  return { ...refundCommit(), payment, precondition: null, transaction: { ...refundCommit().transaction, type: 'authorize' as const, status: 'authorized' as const } };
}

/** What DynamoDB answers when it cancels a transaction, one reason per item. */
function canceled(...codes: string[]): TransactionCanceledException {
  const reasons: CancellationReason[] = codes.map((Code) => ({ Code }));
  return new TransactionCanceledException({ message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`, $metadata: {}, CancellationReasons: reasons });
}

function sentTokens(): (string | undefined)[] {
  return dynamo.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.ClientRequestToken);
}

describe('a commit to DynamoDB', () => {
  it('carries a ClientRequestToken, so the SDK retrying a commit whose answer was lost cannot apply it twice', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const commit = refundCommit();

    await store().commitPayment(commit);
    await store().commitPayment(commit);

    const tokens = sentTokens();
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('of a new payment is tried again, as a new attempt with a new token, when DynamoDB cancels it only for a conflict with another transaction', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(canceled('None', 'TransactionConflict')).resolves({});

    await expect(store().commitPayment(newPaymentCommit())).resolves.toBeUndefined();

    const calls = dynamo.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.TransactItems).toEqual(calls[0]!.args[0].input.TransactItems);
    const tokens = sentTokens();
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('is not tried again when a condition failed, even beside a conflict: the command must read and decide again', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(canceled('ConditionalCheckFailed', 'TransactionConflict')).resolves({});

    await expect(store().commitPayment(refundCommit())).rejects.toThrow(PaymentChangedError);

    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('of a new payment gives up after five retries of a conflict that does not clear', async () => {
    dynamo.on(TransactWriteCommand).rejects(canceled('None', 'TransactionConflict'));

    await expect(store().commitPayment(newPaymentCommit())).rejects.toThrow(PaymentChangedError);

    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(6);
    expect(new Set(sentTokens()).size).toBe(6);
  });

  it('of a change is not tried again on a conflict: its command reads and decides again (one retry layer)', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(canceled('None', 'TransactionConflict')).resolves({});

    await expect(store().commitPayment(refundCommit())).rejects.toThrow(PaymentChangedError);

    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
