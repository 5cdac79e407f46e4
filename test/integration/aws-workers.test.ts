import { marshall } from '@aws-sdk/util-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { relayHandler } from '../../functions/workers/relay-work.ts';
import { runWorkHandler } from '../../functions/workers/run-work.ts';
import { sweepHandler } from '../../functions/workers/sweep-work.ts';
import { SqsEventQueue } from '../../shared/adapters/sqs/sqs-event-queue.ts';
import { delayedWorkDefinition, StepFunctionsScheduler } from '../../shared/adapters/stepfunctions/step-functions-scheduler.ts';
import { createMerchant } from '../../shared/commands/merchants.ts';
import { createPayment } from '../../shared/commands/payments.ts';
import type { DueWork } from '../../shared/domain/events.ts';
import { newPayment, testDependencies, type TestDependencies } from '../support/deps.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/paygate-test-work';
const ARNS = {
  dispatch_event: 'arn:aws:states:eu-west-1:123456789012:stateMachine:paygate-test-webhook-retries',
  deliver_webhook: 'arn:aws:states:eu-west-1:123456789012:stateMachine:paygate-test-webhook-retries',
  expire_authorization: 'arn:aws:states:eu-west-1:123456789012:stateMachine:paygate-test-authorization-expiry',
};

const sqs = mockClient(SQSClient);
const sfn = mockClient(SFNClient);
let deps: TestDependencies;

beforeAll(async () => {
  deps = await testDependencies();
  deps.clock.set(new Date('2026-11-24T10:00:00.000Z'));
});
afterEach(() => {
  sqs.reset();
  sfn.reset();
});

const workerDeps = () => ({
  ...deps,
  queue: new SqsEventQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL),
  scheduler: new StepFunctionsScheduler(new SFNClient({ region: 'eu-west-1' }), ARNS),
});

function work(kind: DueWork['kind'], runAt: string): DueWork {
  return { id: deps.ids.next('work'), kind, ref: 'pay_000000000000000000000000', merchantId: 'mch_000000000000000000000000', runAt };
}

function streamEvent(...records: Array<{ eventName: 'INSERT' | 'MODIFY' | 'REMOVE'; item: Record<string, unknown> }>): DynamoDBStreamEvent {
  return {
    Records: records.map((r, i) => ({
      eventName: r.eventName,
      dynamodb: { SequenceNumber: String(i + 1), NewImage: marshall(r.item) as Record<string, AttributeValue> as never },
    })),
  };
}

describe('the stream relay (AWS)', () => {
  it('puts due work on the SQS work queue, as the exact message the worker reads', async () => {
    const due = work('dispatch_event', '2026-11-24T10:00:00.000Z');
    const result = await relayHandler(workerDeps)(streamEvent({ eventName: 'INSERT', item: { pk: `WORK#${due.id}`, entity: 'work', ...due } }));

    expect(result.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify(due) }]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('starts one Step Functions wait per future item, named after it, on the state machine of its kind', async () => {
    const expiry = work('expire_authorization', '2026-12-01T10:00:00.000Z');
    const retry = work('deliver_webhook', '2026-11-24T10:05:00.000Z');
    sfn.on(StartExecutionCommand).resolvesOnce({}).rejectsOnce(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const result = await relayHandler(workerDeps)(
      streamEvent(
        { eventName: 'INSERT', item: { entity: 'work', ...expiry } },
        { eventName: 'INSERT', item: { entity: 'work', ...retry } },
        { eventName: 'REMOVE', item: { entity: 'work', ...retry } },
        { eventName: 'INSERT', item: { entity: 'payment', id: 'pay_x' } },
      ),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: ARNS.expire_authorization, name: expiry.id, input: JSON.stringify({ runAt: expiry.runAt, work: expiry }) },
      { stateMachineArn: ARNS.deliver_webhook, name: retry.id, input: JSON.stringify({ runAt: retry.runAt, work: retry }) },
    ]);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('reports the first failing record so the stream retries from there', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    const due = work('dispatch_event', '2026-11-24T09:00:00.000Z');
    const result = await relayHandler(workerDeps)(streamEvent({ eventName: 'INSERT', item: { entity: 'work', ...due } }));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
  });

  it('relays nothing after a failing record of a batch: the stream retries the batch from that record, in order', async () => {
    const before = work('dispatch_event', '2026-11-24T09:00:00.000Z');
    const failing = work('dispatch_event', '2026-11-24T09:01:00.000Z');
    const dueAfter = work('dispatch_event', '2026-11-24T09:02:00.000Z');
    const futureAfter = work('expire_authorization', '2026-12-01T10:00:00.000Z');
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody?: string }) => {
      if (input.MessageBody === JSON.stringify(failing)) throw new Error('throttled');
      return {};
    });
    sfn.on(StartExecutionCommand).resolves({});

    const result = await relayHandler(workerDeps)(
      streamEvent(
        { eventName: 'INSERT', item: { entity: 'work', ...before } },
        { eventName: 'INSERT', item: { entity: 'work', ...failing } },
        { eventName: 'INSERT', item: { entity: 'work', ...dueAfter } },
        { eventName: 'INSERT', item: { entity: 'work', ...futureAfter } },
      ),
    );

    // Lambda checkpoints at the lowest reported sequence number and sends records 2, 3 and 4 again:
    // relayed now, 3 and 4 would go out before 2 and then a second time.
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => (JSON.parse(c.args[0].input.MessageBody!) as DueWork).id)).toEqual([before.id, failing.id]);
    expect(sfn.calls()).toHaveLength(0);
  });
  it('relays a new event for dispatch now and a new authorization for expiry at expires_at, read from the items the commit wrote', async () => {
    const { merchant } = await createMerchant(deps, 'Relay Merchant');
    const payment = await createPayment(deps, merchant.id, newPayment());
    const sale = await createPayment(deps, merchant.id, newPayment({ capture: true }));
    const raw = async (pk: string, sk: string) =>
      (await deps.rawClient.send(new GetItemCommand({ TableName: deps.tableName, Key: marshall({ pk, sk }), ConsistentRead: true }))).Item!;
    const [event] = (await deps.store.listEvents(merchant.id, { type: 'payment.authorized', limit: 1, offset: 0 })).items;
    sfn.on(StartExecutionCommand).resolves({});

    const result = await relayHandler(workerDeps)({
      Records: [
        { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: (await raw(`PAYMENT#${payment.id}`, 'PAYMENT')) as never } },
        { eventName: 'INSERT', dynamodb: { SequenceNumber: '2', NewImage: (await raw(`EVENT#${event!.id}`, 'EVENT')) as never } },
        { eventName: 'INSERT', dynamodb: { SequenceNumber: '3', NewImage: (await raw(`PAYMENT#${sale.id}`, 'PAYMENT')) as never } },
      ],
    });

    expect(result.batchItemFailures).toEqual([]);
    const expiry = { id: payment.id, kind: 'expire_authorization', ref: payment.id, merchantId: merchant.id, runAt: payment.expiresAt };
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: ARNS.expire_authorization, name: payment.id, input: JSON.stringify({ runAt: payment.expiresAt, work: expiry }) },
    ]);
    const dispatch = { id: event!.id, kind: 'dispatch_event', ref: event!.id, merchantId: merchant.id, runAt: event!.createdAt };
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify(dispatch) }]);
  });
});

describe('the delayed-work state machine', () => {
  it('waits until runAt, then sends the work item to the queue as JSON', async () => {
    // Build the machine first: under load its construction alone can take a second or two.
    const machine = new StateMachine(delayedWorkDefinition(QUEUE_URL) as never, { validationOptions: { checkArn: false } });
    const item = work('deliver_webhook', new Date(Date.now() + 2500).toISOString());
    const sent: unknown[] = [];
    let sentAt = 0;
    const started = Date.now();

    await machine.run({ runAt: item.runAt, work: item } as never, {
      overrides: { taskResourceLocalHandlers: { EnqueueWork: (input) => ((sentAt = Date.now()), sent.push(input), {}) } },
    }).result;

    // Wait states resolve to the second: the send comes within the second before runAt, not at once.
    expect(sentAt).toBeGreaterThanOrEqual(Date.parse(item.runAt) - 1000);
    expect(sentAt - started).toBeGreaterThan(1000);
    expect(sent).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify(item) }]);
  });

  it('retries the send when SQS fails, and fails the execution after its retries', async () => {
    const item = work('expire_authorization', new Date().toISOString());
    let calls = 0;
    const machine = new StateMachine(delayedWorkDefinition(QUEUE_URL) as never, { validationOptions: { checkArn: false } });
    const failing = machine.run({ runAt: item.runAt, work: item } as never, {
      overrides: {
        taskResourceLocalHandlers: { EnqueueWork: () => { calls++; throw new Error('SQS unavailable'); } },
        retryIntervalOverrides: { EnqueueWork: 0 },
      },
    });
    await expect(failing.result).rejects.toThrow();
    expect(calls).toBe(7);
  });
});

describe('the sweeper (AWS)', () => {
  it('puts work overdue by 15 minutes back on the queue once, and leaves fresh and future work to the relay', async () => {
    const { merchant } = await createMerchant(deps, 'Sweep Merchant');
    const now = deps.clock.now().getTime();
    const at = (minutes: number) => new Date(now + minutes * 60_000).toISOString();
    const stranded = { ...work('deliver_webhook', at(-20)), merchantId: merchant.id };
    const fresh = { ...work('dispatch_event', at(-1)), merchantId: merchant.id };
    const future = { ...work('expire_authorization', at(60)), merchantId: merchant.id };
    for (const item of [stranded, fresh, future]) await deps.store.scheduleWork(item);

    const first = await sweepHandler(workerDeps)({});
    const second = await sweepHandler(workerDeps)({});

    const sent = sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!) as DueWork);
    expect(sent.map((w) => w.id)).toEqual([stranded.id]);
    expect(sent[0]).toMatchObject({ id: stranded.id, kind: 'deliver_webhook', runAt: stranded.runAt });
    expect(first.swept).toBeGreaterThanOrEqual(1);
    expect(second.swept).toBe(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('the work queue consumer (AWS)', () => {
  it('runs each message with the shared code and reports only the failing ones for SQS to retry', async () => {
    const { merchant } = await createMerchant(deps, 'Worker Merchant');
    const payment = await createPayment(deps, merchant.id, newPayment());
    deps.clock.advance(8 * 24 * 3600 * 1000);
    const expiry: DueWork = { id: deps.ids.next('work'), kind: 'expire_authorization', ref: payment.id, merchantId: merchant.id, runAt: deps.clock.now().toISOString() };
    const sqsEvent = {
      Records: [
        { messageId: 'm1', body: JSON.stringify(expiry) },
        { messageId: 'm2', body: 'not json' },
      ],
    } as unknown as SQSEvent;

    const result = await runWorkHandler(() => deps)(sqsEvent);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect((await deps.store.getPayment(merchant.id, payment.id))?.status).toBe('expired');
  });
});
