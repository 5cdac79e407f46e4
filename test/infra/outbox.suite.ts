import { StateMachine as LocalStateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { delayedWorkDefinition } from '../../shared/adapters/stepfunctions/step-functions-scheduler.ts';
import { DELIVERY_TIMEOUT_MS } from '../../shared/commands/webhooks.ts';
import type { DueWork } from '../../shared/domain/events.ts';
import { awsWorkerDependencies } from '../../shared/runtime/aws-workers.ts';
import { WORK_MAX_RECEIVE_COUNT, WORK_QUEUE_MAX_AGE, WORKER_BATCH_SIZE } from '../../lib/aws/outbox.ts';
import { actionsOf, arnOf, logicalId, mentions, resourcesOf, statementsOfRole, type Statement, type Synthesized } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };
type Environment = Record<string, unknown>;

/** Renders a CloudFormation string (a literal or an Fn::Join of literals and known Refs) as CloudFormation would. */
function render(value: unknown, refs: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => render(part, refs)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined && ref in refs) return refs[ref]!;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/paygate-test-work';

/** The statements of a role that act on a service (`sqs:`, `states:`, ...). */
const onService = (statements: Statement[], prefix: string) => statements.filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)));
const shape = (s: Statement) => ({ actions: [...actionsOf(s)].sort(), resources: resourcesOf(s) });

/**
 * The assertions on the outbox (lib/aws/outbox.ts): stream, relay, worker, queues, state
 * machines, alarms. They run inside stack.test.ts, on its synthesis of the test stage: a
 * synthesis costs seconds (most of it loading aws-cdk-lib in a fresh process), and each vitest
 * file runs in a fresh process.
 */
export function describeOutbox(synthesized: () => Synthesized): void {
  let synth: Synthesized;
  let resources: Record<string, Resource>;
  const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    synth = synthesized();
    resources = synth.template.toJSON()['Resources'] as Record<string, Resource>;
  });

  const outbox = () => synth.stack.outbox;
  const ids = () => ({
    table: logicalId(synth.stack.data.table),
    dataKey: logicalId(synth.stack.data.dataKey),
    cardKey: logicalId(synth.stack.cardKeys.cardKey),
    macKeys: Object.values(synth.stack.cardKeys.macKeys).map((key) => logicalId(key)),
    webhookSecretKey: logicalId(synth.stack.cardKeys.macKeys['webhook-secret']),
    workQueue: logicalId(outbox().workQueue),
    workDlq: logicalId(outbox().workDeadLetterQueue),
    relayDlq: logicalId(outbox().relayDeadLetterQueue),
    webhookRetries: logicalId(outbox().webhookRetries),
    authorizationExpiry: logicalId(outbox().authorizationExpiry),
    relay: logicalId(outbox().relay.function),
    relayRole: logicalId(outbox().relay.role),
    worker: logicalId(outbox().worker.function),
    workerRole: logicalId(outbox().worker.role),
  });
  const props = (id: string) => resources[id]!.Properties;
  const environmentOf = (functionId: string) => (props(functionId)['Environment'] as { Variables: Environment }).Variables;
  const mappingOf = (functionId: string) => {
    const found = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties['FunctionName']) === JSON.stringify({ Ref: functionId }));
    expect(found).toHaveLength(1);
    return found[0]![1].Properties;
  };
  const stateMachineRoleId = (machine: 'webhookRetries' | 'authorizationExpiry') => logicalId(outbox()[machine].role);

  const deployedDefinition = (machine: 'webhookRetries' | 'authorizationExpiry') =>
    JSON.parse(render(props(ids()[machine])['DefinitionString'], { [ids().workQueue]: QUEUE_URL })) as Record<string, unknown>;

  describe('the table stream', () => {
    it('is on, with the new image of each item (what the relay filters on and reads)', () => {
      expect(props(ids().table)['StreamSpecification']).toEqual({ StreamViewType: 'NEW_IMAGE' });
    });
  });

  describe('the relay (table stream -> work queue, or a Step Functions wait)', () => {
    it('is invoked by the table stream for inserted due items only (events, authorizations, work items), from the oldest record kept', () => {
      const mapping = mappingOf(ids().relay);
      expect(mapping['EventSourceArn']).toEqual({ 'Fn::GetAtt': [ids().table, 'StreamArn'] });
      const filters = (mapping['FilterCriteria'] as { Filters: { Pattern: string }[] }).Filters;
      expect(filters.map((f) => JSON.parse(f.Pattern) as unknown)).toEqual([
        { eventName: ['INSERT'], dynamodb: { NewImage: { duepk: { S: [{ exists: true }] } } } },
        // Work items written by code deployed before the due index, during the update.
        { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['work'] } } } },
      ]);
      expect(mapping['StartingPosition']).toBe('TRIM_HORIZON');
    });

    it('reports partial batch failures, bisects a failing batch, retries a bounded number of times, then sends it to its own dead-letter queue', () => {
      const mapping = mappingOf(ids().relay);
      expect(mapping['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
      expect(mapping['BisectBatchOnFunctionError']).toBe(true);
      expect(mapping['MaximumRetryAttempts']).toBeGreaterThanOrEqual(1);
      expect(mapping['MaximumRetryAttempts']).toBeLessThanOrEqual(10);
      expect(mapping['DestinationConfig']).toEqual({ OnFailure: { Destination: arnOf(ids().relayDlq) } });
    });

    it('is told the work queue and both state machines, and no card key', () => {
      const env = environmentOf(ids().relay);
      expect(env).toMatchObject({
        PAYGATE_WORK_QUEUE_URL: { Ref: ids().workQueue },
        PAYGATE_WEBHOOK_RETRY_STATE_MACHINE_ARN: { Ref: ids().webhookRetries },
        PAYGATE_EXPIRY_STATE_MACHINE_ARN: { Ref: ids().authorizationExpiry },
        PAYGATE_TABLE_NAME: { Ref: ids().table },
        PAYGATE_STAGE: 'test',
      });
      expect(env).not.toHaveProperty('PAYGATE_CARD_KEY_ID');
      expect(Object.keys(env).filter((name) => name.startsWith('PAYGATE_MAC_KEY_'))).toEqual([]);
    });

    it('has every variable the workers’ composition root requires (awsWorkerDependencies builds from it)', () => {
      const saved = { ...process.env };
      try {
        for (const [name, value] of Object.entries(environmentOf(ids().relay))) {
          // What CloudFormation resolves: a URL is as good as any value here.
          process.env[name] = typeof value === 'string' ? value : `https://resolved.example/${name}`;
        }
        expect(() => awsWorkerDependencies()).not.toThrow();
      } finally {
        process.env = saved;
      }
    });

    it('may StartExecution on exactly the two state machines and SendMessage on the work queue; nothing on the card keys or the table’s items', () => {
      const statements = statementsOfRole(synth.template, ids().relayRole);
      expect(onService(statements, 'states:').map(shape)).toEqual([
        { actions: ['states:StartExecution'], resources: [{ Ref: ids().webhookRetries }] },
        { actions: ['states:StartExecution'], resources: [{ Ref: ids().authorizationExpiry }] },
      ]);
      const sqs = onService(statements, 'sqs:');
      expect(sqs.filter((s) => mentions(s, ids().workQueue)).map(shape)).toEqual([{ actions: ['sqs:SendMessage'], resources: [arnOf(ids().workQueue)] }]);
      // The rest of its SQS rights: Lambda writing failed batches to the relay's dead-letter queue.
      expect(sqs.filter((s) => !mentions(s, ids().workQueue)).every((s) => resourcesOf(s).every((r) => JSON.stringify(r) === JSON.stringify(arnOf(ids().relayDlq))))).toBe(true);
      expect(statements.filter((s) => [ids().cardKey, ...ids().macKeys].some((key) => mentions(s, key)))).toEqual([]);
      // The stream, not the table's items.
      const dynamo = onService(statements, 'dynamodb:').flatMap(actionsOf).sort();
      expect(dynamo).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
      const stream = onService(statements, 'dynamodb:').filter((s) => s.Resource !== '*');
      expect(stream.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [ids().table, 'StreamArn'] }]);
      // The data key, to read the encrypted stream: decrypt only.
      expect(statements.filter((s) => mentions(s, ids().dataKey)).flatMap(actionsOf).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    });
  });

  describe('the sweeper (overdue work back onto the work queue, on a schedule)', () => {
    const sweeper = () => logicalId(outbox().sweeper.function);
    const sweeperRole = () => logicalId(outbox().sweeper.role);

    it('runs every 5 minutes from an EventBridge rule, and is told the work queue', () => {
      const rules = ofType('AWS::Events::Rule');
      expect(rules).toHaveLength(1);
      const rule = rules[0]![1].Properties;
      expect(rule['ScheduleExpression']).toBe('rate(5 minutes)');
      expect((rule['Targets'] as { Arn: unknown }[]).map((t) => t.Arn)).toEqual([{ 'Fn::GetAtt': [sweeper(), 'Arn'] }]);
      expect(environmentOf(sweeper())).toMatchObject({ PAYGATE_WORK_QUEUE_URL: { Ref: ids().workQueue }, PAYGATE_TABLE_NAME: { Ref: ids().table } });
      expect(environmentOf(sweeper())).not.toHaveProperty('PAYGATE_CARD_KEY_ID');
    });

    it('may SendMessage on the work queue and read and write the table; nothing on the card keys and no StartExecution', () => {
      const statements = statementsOfRole(synth.template, sweeperRole());
      expect(onService(statements, 'sqs:').map(shape)).toEqual([{ actions: ['sqs:SendMessage'], resources: [arnOf(ids().workQueue)] }]);
      expect(onService(statements, 'states:')).toEqual([]);
      expect(statements.filter((s) => [ids().cardKey, ...ids().macKeys].some((key) => mentions(s, key)))).toEqual([]);
      expect(onService(statements, 'dynamodb:').flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    });
  });

  describe('the worker (work queue -> dispatch, deliver, expire)', () => {
    it('consumes the work queue in batches of at most 10, reporting the failed messages only, at a bounded concurrency', () => {
      const mapping = mappingOf(ids().worker);
      expect(mapping['EventSourceArn']).toEqual(arnOf(ids().workQueue));
      expect(mapping['BatchSize']).toBe(WORKER_BATCH_SIZE);
      expect(WORKER_BATCH_SIZE).toBeLessThanOrEqual(10);
      expect(mapping['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
      expect((mapping['ScalingConfig'] as { MaximumConcurrency: number }).MaximumConcurrency).toBeGreaterThanOrEqual(2);
    });

    it('outlasts a webhook attempt, and the queue hides a received message for at least six times its timeout', () => {
      const timeout = props(ids().worker)['Timeout'] as number;
      expect(timeout).toBeGreaterThan(DELIVERY_TIMEOUT_MS / 1000);
      expect(props(ids().workQueue)['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * timeout);
    });

    it('is told the webhook-secret key alone, not the card key', () => {
      const env = environmentOf(ids().worker);
      expect(Object.keys(env).filter((name) => name.startsWith('PAYGATE_MAC_KEY_'))).toEqual(['PAYGATE_MAC_KEY_WEBHOOK_SECRET']);
      expect(env['PAYGATE_MAC_KEY_WEBHOOK_SECRET']).toEqual(arnOf(ids().webhookSecretKey));
      expect(env).not.toHaveProperty('PAYGATE_CARD_KEY_ID');
      expect(env).toMatchObject({ PAYGATE_TABLE_NAME: { Ref: ids().table }, PAYGATE_STAGE: 'test' });
    });

    it('may only GenerateMac on the webhook-secret key (webhook secrets are derived), and nothing on the card key or another MAC key', () => {
      const statements = statementsOfRole(synth.template, ids().workerRole);
      expect(statements.filter((s) => mentions(s, ids().cardKey))).toEqual([]);
      expect(statements.filter((s) => ids().macKeys.some((key) => mentions(s, key))).map(shape)).toEqual([
        { actions: ['kms:GenerateMac'], resources: [arnOf(ids().webhookSecretKey)] },
      ]);
    });

    it('leaves no function of the stack any kms:Decrypt on the card key', () => {
      const decrypts = Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
        .flatMap(([, r]) => ((r.Properties['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement))
        .filter((st) => mentions(st as never, ids().cardKey) && JSON.stringify(st['Action']).includes('kms:Decrypt'));
      expect(decrypts).toEqual([]);
    });

    it('reads and writes the table and consumes the work queue, but starts no execution and sends no message', () => {
      const statements = statementsOfRole(synth.template, ids().workerRole);
      const actions = statements.flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']));
      expect(onService(statements, 'sqs:').map(shape)).toEqual([
        {
          actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
          resources: [arnOf(ids().workQueue)],
        },
      ]);
      expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
      expect(actions).not.toContain('sqs:SendMessage');
    });
  });

  describe('the queues', () => {
    it('move a work message to the work dead-letter queue after 5 receives', () => {
      expect(props(ids().workQueue)['RedrivePolicy']).toEqual({ deadLetterTargetArn: arnOf(ids().workDlq), maxReceiveCount: WORK_MAX_RECEIVE_COUNT });
      expect(WORK_MAX_RECEIVE_COUNT).toBe(5);
    });

    it('are three, encrypted at rest, and refuse requests without TLS', () => {
      const queueIds = [ids().workQueue, ids().workDlq, ids().relayDlq];
      expect(ofType('AWS::SQS::Queue').map(([id]) => id).sort()).toEqual([...queueIds].sort());
      for (const id of queueIds) {
        expect(props(id)['SqsManagedSseEnabled'] === true || props(id)['KmsMasterKeyId'] !== undefined, id).toBe(true);
        const policies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) => JSON.stringify(p.Properties['Queues']).includes(`"${id}"`));
        const statements = policies.flatMap(([, p]) => (p.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
        expect(statements, id).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      }
    });

    it('keep dead letters 14 days', () => {
      for (const id of [ids().workDlq, ids().relayDlq]) expect(props(id)['MessageRetentionPeriod']).toBe(14 * 24 * 3600);
    });
  });

  describe('the delayed-work state machines', () => {
    const MACHINES = [
      ['webhookRetries', 'paygate-test-webhook-retries'],
      ['authorizationExpiry', 'paygate-test-authorization-expiry'],
    ] as const;

    it('are two', () => {
      expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(2);
    });

    it.each(MACHINES)('%s is a standard state machine whose definition is delayedWorkDefinition of the work queue', (machine, name) => {
      expect(props(ids()[machine])).toMatchObject({ StateMachineName: name, StateMachineType: 'STANDARD' });
      // Wait on $.runAt, then sqs:sendMessage of $.work to the work queue: the source ASL, with the queue's URL in it.
      expect(deployedDefinition(machine)).toEqual(delayedWorkDefinition(QUEUE_URL));
    });

    it.each(MACHINES)('%s logs every event to its KMS-encrypted log group and is traced', (machine, name) => {
      const logging = props(ids()[machine])['LoggingConfiguration'] as { Level: string; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
      expect(logging.Level).toBe('ALL');
      const logGroupId = (logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(props(logGroupId)).toMatchObject({ LogGroupName: `/aws/vendedlogs/states/${name}`, KmsKeyId: arnOf(ids().dataKey), RetentionInDays: 30 });
      expect(props(ids()[machine])['TracingConfiguration']).toEqual({ Enabled: true });
    });

    it.each(MACHINES)('%s may only send messages to the work queue (besides delivering its logs and traces)', (machine) => {
      const statements = statementsOfRole(synth.template, stateMachineRoleId(machine));
      const scoped = statements.filter((s) => s.Resource !== '*');
      expect(scoped.map(shape)).toEqual([{ actions: ['sqs:SendMessage'], resources: [arnOf(ids().workQueue)] }]);
      const unscoped = statements.filter((s) => s.Resource === '*').flatMap(actionsOf);
      expect(unscoped.every((a) => a.startsWith('logs:') || a.startsWith('xray:'))).toBe(true);
      expect(unscoped.filter((a) => a.startsWith('logs:')).every((a) => /Log(Delivery|Deliveries|Groups)$|ResourcePolic(y|ies)$/.test(a))).toBe(true);
    });

    it('executes as deployed: waits until runAt, then sends the work item as JSON to the work queue', async () => {
      const sent: unknown[] = [];
      let sentAt = 0;
      const machine = new LocalStateMachine(deployedDefinition('webhookRetries') as never, { validationOptions: { checkArn: false } });
      // runAt from now on, after the (validating, sometimes slow) construction above.
      const started = Date.now();
      const item: DueWork = {
        id: 'wrk_000000000000000000000001',
        kind: 'deliver_webhook',
        ref: 'whd_000000000000000000000001',
        merchantId: 'mch_000000000000000000000001',
        runAt: new Date(started + 2000).toISOString(),
      };

      await machine.run({ runAt: item.runAt, work: item } as never, {
        overrides: { taskResourceLocalHandlers: { EnqueueWork: (input) => ((sentAt = Date.now()), sent.push(input), {}) } },
      }).result;

      // Wait states resolve to the second: the send comes within the second before runAt, not at once.
      expect(sentAt).toBeGreaterThanOrEqual(Date.parse(item.runAt) - 1000);
      expect(sentAt - started).toBeGreaterThan(900);
      expect(sent).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify(item) }]);
    });
  });

  describe('the alarms', () => {
    const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const onQueue = (queueId: string, metric: string) =>
      alarms().filter((a) => a['MetricName'] === metric && JSON.stringify(a['Dimensions']) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]));

    it.each([
      ['work', 'workDlq'],
      ['relay', 'relayDlq'],
    ] as const)('fire as soon as the %s dead-letter queue holds a message', (_name, queue) => {
      const [alarm, ...others] = onQueue(ids()[queue], 'ApproximateNumberOfMessagesVisible');
      expect(others).toEqual([]);
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Statistic: 'Maximum', TreatMissingData: 'notBreaching' });
    });

    it('fire when the oldest message of the work queue has waited over 15 minutes', () => {
      const [alarm, ...others] = onQueue(ids().workQueue, 'ApproximateAgeOfOldestMessage');
      expect(others).toEqual([]);
      expect(alarm).toMatchObject({ Threshold: WORK_QUEUE_MAX_AGE.toSeconds(), ComparisonOperator: 'GreaterThanThreshold', Statistic: 'Maximum' });
      expect(WORK_QUEUE_MAX_AGE.toSeconds()).toBe(900);
    });

    it('fire when an execution of either state machine fails', () => {
      for (const machine of ['webhookRetries', 'authorizationExpiry'] as const) {
        const failed = alarms().filter((a) => a['MetricName'] === 'ExecutionsFailed' && JSON.stringify(a['Dimensions']).includes(`"${ids()[machine]}"`));
        expect(failed, machine).toHaveLength(1);
        expect(failed[0]).toMatchObject({ Namespace: 'AWS/States', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      }
    });

    it('are named in the OutboxAlarms output, and the queues in theirs', () => {
      const names = alarms().map((a) => a['AlarmName'] as string).sort();
      expect(names).toEqual([
        'paygate-test-authorization-expiry-failed',
        'paygate-test-relay-dlq-not-empty',
        'paygate-test-webhook-retries-failed',
        'paygate-test-work-dlq-not-empty',
        'paygate-test-work-queue-stalled',
      ]);
      const output = JSON.stringify(synth.template.findOutputs('OutboxAlarms'));
      for (const alarm of ofType('AWS::CloudWatch::Alarm')) expect(output).toContain(`"${alarm[0]}"`);
      synth.template.hasOutput('WorkQueueUrl', { Value: { Ref: ids().workQueue } });
      synth.template.hasOutput('WorkDeadLetterQueueUrl', { Value: { Ref: ids().workDlq } });
      synth.template.hasOutput('RelayDeadLetterQueueUrl', { Value: { Ref: ids().relayDlq } });
    });
  });

  describe('cdk-nag on the outbox', () => {
    const suppressed = (id: string) =>
      ((resources[id]?.Metadata?.['cdk_nag'] as { rules_to_suppress?: { id: string; applies_to?: unknown[] }[] } | undefined)?.rules_to_suppress ?? []).map((r) => ({
        id: r.id,
        appliesTo: r.applies_to,
      }));
    const policyOf = (roleId: string) => ofType('AWS::IAM::Policy').find(([, p]) => JSON.stringify(p.Properties['Roles']).includes(`"${roleId}"`))![0];

    it('accepts only these findings: SQS3 on the relay dead-letter queue, IAM5 on the unscoped actions AWS offers no resource for', () => {
      expect(suppressed(ids().relayDlq)).toEqual([{ id: 'AwsSolutions-SQS3', appliesTo: undefined }]);
      for (const queue of [ids().workQueue, ids().workDlq]) expect(suppressed(queue)).toEqual([]);
      expect(suppressed(policyOf(ids().relayRole))).toEqual([{ id: 'AwsSolutions-IAM5', appliesTo: ['Resource::*'] }]);
      for (const machine of ['webhookRetries', 'authorizationExpiry'] as const) {
        expect(suppressed(policyOf(stateMachineRoleId(machine)))).toEqual([{ id: 'AwsSolutions-IAM5', appliesTo: ['Resource::*'] }]);
      }
      // The worker's: the table grant's (its key's wildcard actions), as every table-using route has.
      expect(suppressed(policyOf(ids().workerRole)).map((s) => s.id)).toEqual(['AwsSolutions-IAM5']);
    });
  });
}
