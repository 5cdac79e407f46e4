import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { delayedWorkDefinition } from '../../shared/adapters/stepfunctions/step-functions-scheduler.ts';
import { WORKERS } from '../../shared/workers.ts';
import type { BundleConstants } from './bundling.ts';
import type { CardKeys } from './card-keys.ts';
import { STATE_MACHINE_LOG_GROUP_PREFIX, type PaygateData } from './data.ts';
import { suppressRelayDeadLetterQueueFindings, suppressStateMachineRoleFindings, suppressStreamReadFindings, suppressTableGrantFindings } from './nag.ts';
import { kebabCase, PaygateFunction } from './paygate-function.ts';
import type { StageConfig } from './stage.ts';

/**
 * The worker's timeout. A webhook attempt waits at most 10 s for the receiver
 * (DELIVERY_TIMEOUT_MS of shared/commands/webhooks.ts) and the messages of a batch run
 * concurrently, so a batch takes about one attempt plus a few table writes: 60 s is ample.
 */
export const WORKER_TIMEOUT = Duration.seconds(60);
/** At most this many messages per invocation of the worker (its partial batch response names the failed ones). */
export const WORKER_BATCH_SIZE = 10;
/**
 * At most this many worker invocations at once: the worker shares the account's Lambda
 * concurrency with the payment routes, and a backlog of webhooks must not starve them.
 */
export const WORKER_MAX_CONCURRENCY = 10;
/** Receives of a work message before it goes to the work dead-letter queue. */
export const WORK_MAX_RECEIVE_COUNT = 5;
/** The relay's retries of a failing stream batch (bisected each time) before it goes to the relay's dead-letter queue. */
export const RELAY_RETRY_ATTEMPTS = 10;
/** How often the sweeper looks for overdue work. */
export const SWEEP_EVERY = Duration.minutes(5);
/** A work message older than this means the worker is stuck or keeps failing: the work queue's alarm. */
export const WORK_QUEUE_MAX_AGE = Duration.minutes(15);

export interface PaygateOutboxProps {
  stage: StageConfig;
  /** The table (its stream must be on, NEW_IMAGE) and the data key (log groups). */
  data: PaygateData;
  cardKeys: CardKeys;
  /** What every function of the stack gets: table, public URL, stage, settings. */
  environment: Record<string, string>;
  constants: BundleConstants;
}

/**
 * The transactional outbox in AWS (README, "Events and the outbox"): every change writes its
 * work items in the same transaction, and from there
 * - the table's stream, filtered to inserted due items (events, authorizations, work), invokes the relay (functions/workers/relay-work.ts);
 * - the relay puts due work on the work queue, and later work into a Step Functions execution
 *   (one state machine for webhook retries, one for authorization expiries) that waits until
 *   `runAt` and then puts it on the work queue;
 * - the worker (functions/workers/run-work.ts) consumes the queue: dispatches events, delivers
 *   webhooks (the one function that may decrypt, and only webhook secrets), expires authorizations;
 * - what keeps failing lands in a dead-letter queue (the relay's, or the work queue's), and
 *   alarms say so.
 */
export class PaygateOutbox extends Construct {
  readonly workQueue: Queue;
  readonly workDeadLetterQueue: Queue;
  readonly relayDeadLetterQueue: Queue;
  readonly webhookRetries: StateMachine;
  readonly authorizationExpiry: StateMachine;
  readonly relay: PaygateFunction;
  readonly sweeper: PaygateFunction;
  readonly worker: PaygateFunction;
  readonly alarms: Alarm[] = [];
  private readonly stagePrefix: string;

  constructor(scope: Construct, id: string, props: PaygateOutboxProps) {
    super(scope, id);
    const { stage, data, cardKeys } = props;
    this.stagePrefix = stage.prefix;
    const { table, dataKey } = data;
    if (!table.tableStreamArn) throw new Error('the outbox relay needs the table stream (PaygateData stream: NEW_IMAGE)');

    // Work messages carry ids and a due time only (never card data or secrets): SQS-managed
    // encryption at rest, so neither the relay, the worker, Lambda's on-failure delivery nor the
    // state machines need any KMS permission to use the queues.
    const queue = (queueId: string, name: string, extra: QueueProps) =>
      new Queue(this, queueId, {
        queueName: `${stage.prefix}-${name}`,
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: stage.removalPolicy,
        ...extra,
      });
    // Dead letters are kept the longest SQS allows, to be read and redriven.
    this.workDeadLetterQueue = queue('WorkDeadLetterQueue', 'work-dlq', { retentionPeriod: Duration.days(14) });
    this.relayDeadLetterQueue = queue('RelayDeadLetterQueue', 'relay-dlq', { retentionPeriod: Duration.days(14) });
    suppressRelayDeadLetterQueueFindings(this.relayDeadLetterQueue);
    this.workQueue = queue('WorkQueue', 'work', {
      // AWS's rule for a Lambda-consumed queue: at least six times the function's timeout, so a
      // message is not received again while a (retried) invocation still holds it.
      visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.workDeadLetterQueue, maxReceiveCount: WORK_MAX_RECEIVE_COUNT },
    });

    this.webhookRetries = this.delayedWork('WebhookRetries', 'webhook-retries', props, 'waits for the next attempt of a webhook delivery (5 min to 6 h)');
    this.authorizationExpiry = this.delayedWork('AuthorizationExpiry', 'authorization-expiry', props, 'waits until an authorization expires (7 days by default)');

    // What awsWorkerDependencies() reads: the relay's and the sweeper's environment.
    const relayEnvironment = {
      ...props.environment,
      PAYGATE_WORK_QUEUE_URL: this.workQueue.queueUrl,
      PAYGATE_WEBHOOK_RETRY_STATE_MACHINE_ARN: this.webhookRetries.stateMachineArn,
      PAYGATE_EXPIRY_STATE_MACHINE_ARN: this.authorizationExpiry.stateMachineArn,
    };

    // The relay: table stream -> work queue or a state machine.
    const relaySpec = WORKERS.relayWork;
    this.relay = new PaygateFunction(this, 'RelayWork', {
      stage,
      name: kebabCase('relayWork'),
      handler: relaySpec.handler,
      description: 'Outbox relay: inserted work items from the table stream to the work queue, or to a Step Functions wait',
      environment: relayEnvironment,
      logKey: dataKey,
      constants: props.constants,
      timeout: Duration.seconds(30),
    });
    // Only what SqsEventQueue and StepFunctionsScheduler call; reading the stream (and the data
    // key that encrypts it) and writing to its dead-letter queue come with the event source.
    this.relay.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.workQueue.queueArn] }));
    this.webhookRetries.grantStartExecution(this.relay.role);
    this.authorizationExpiry.grantStartExecution(this.relay.role);
    this.relay.function.addEventSource(
      new DynamoEventSource(table, {
        // TRIM_HORIZON, not LATEST: if the mapping is ever created again (a replacement), LATEST
        // would skip the work written meanwhile, and nothing else relays it in AWS; TRIM_HORIZON
        // relays again at most the stream's last 24 hours, which the consumer tolerates (SQS is
        // at-least-once anyway: delivery ids are derived, only pending deliveries are attempted,
        // an expired authorization stays expired). On the first deploy the stream is new and empty.
        startingPosition: StartingPosition.TRIM_HORIZON,
        // Only inserted items that are due (in the `due` index: events, authorizations, work items)
        // invoke the relay (the filter is evaluated by Lambda, free of invocations); the handler
        // reads each the same way the pollers do (workOf).
        // The second filter (ORed) lets through work items written the old way (no `duepk`) by
        // code still running while a stack deployed before the `due` index is updated.
        filters: [
          FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { NewImage: { duepk: { S: FilterRule.exists() } } } }),
          FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('work') } } } }),
        ],
        batchSize: 10,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: RELAY_RETRY_ATTEMPTS,
        onFailure: new SqsDlq(this.relayDeadLetterQueue),
      }),
    );
    suppressStreamReadFindings(this.relay.role);

    // The worker: work queue -> dispatch, deliver, expire.
    const workerSpec = WORKERS.runWork;
    this.worker = new PaygateFunction(this, 'RunWork', {
      stage,
      name: kebabCase('runWork'),
      handler: workerSpec.handler,
      description: 'Outbox worker: dispatches events, delivers signed webhooks, expires authorizations',
      environment: { ...props.environment, ...cardKeys.environment(workerSpec.macs) },
      logKey: dataKey,
      constants: props.constants,
      timeout: WORKER_TIMEOUT,
    });
    // Reads events, endpoints, deliveries and payments; writes deliveries, their next attempts and
    // expiries (transactions); completes due items.
    data.grantItemActions(this.worker.role, ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem']);
    suppressTableGrantFindings(this.worker.role);
    cardKeys.grant(this.worker.role, workerSpec.macs);
    this.worker.function.addEventSource(
      new SqsEventSource(this.workQueue, { batchSize: WORKER_BATCH_SIZE, reportBatchItemFailures: true, maxConcurrency: WORKER_MAX_CONCURRENCY }),
    );

    // The sweeper: every 5 minutes, work overdue by 15 minutes goes back onto the work queue
    // (what a relay that gave up, a failed wait or a dead-lettered message left in the table).
    const sweepSpec = WORKERS.sweepWork;
    this.sweeper = new PaygateFunction(this, 'SweepWork', {
      stage,
      name: kebabCase('sweepWork'),
      handler: sweepSpec.handler,
      description: 'Outbox sweeper: overdue work items from the table back onto the work queue',
      environment: relayEnvironment,
      logKey: dataKey,
      constants: props.constants,
      timeout: Duration.minutes(2),
    });
    // Query the work index and lease items (table read/write); enqueue them. Only overdue work
    // is swept, so it never schedules: no StartExecution.
    data.grantItemActions(this.sweeper.role, ['Query', 'UpdateItem']);
    suppressTableGrantFindings(this.sweeper.role);
    this.sweeper.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.workQueue.queueArn] }));
    new Rule(this, 'SweepSchedule', {
      ruleName: `${stage.prefix}-sweep-work`,
      description: 'Runs the outbox sweeper every 5 minutes',
      schedule: Schedule.rate(SWEEP_EVERY),
      targets: [new LambdaFunction(this.sweeper.function, { retryAttempts: 2 })],
    });

    this.watch(stage);
  }

  /**
   * A delayed-work state machine: the ASL of shared/adapters/stepfunctions (wait until `runAt`,
   * then SendMessage to the work queue), standard type (waits of up to a year; expiries wait 7
   * days), with all events logged to an encrypted log group and X-Ray tracing.
   */
  private delayedWork(id: string, name: string, props: PaygateOutboxProps, purpose: string): StateMachine {
    const { stage } = props;
    const logs = new LogGroup(this, `${id}Logs`, {
      logGroupName: `${STATE_MACHINE_LOG_GROUP_PREFIX}${stage.prefix}-${name}`,
      retention: stage.logRetention,
      encryptionKey: props.data.dataKey,
      removalPolicy: stage.removalPolicy,
    });
    const machine = new StateMachine(this, id, {
      stateMachineName: `${stage.prefix}-${name}`,
      comment: `Paygate ${stage.name}: ${purpose}, then puts the work item on the work queue`,
      stateMachineType: StateMachineType.STANDARD,
      // toJsonString renders the queue URL (a token) inside the JSON as CloudFormation resolves it.
      definitionBody: DefinitionBody.fromString(Stack.of(this).toJsonString(delayedWorkDefinition(this.workQueue.queueUrl))),
      // Execution data is a work item (ids, kind, due time): nothing secret, and what an operator needs.
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      // A deleted state machine stops its waits: on the live stage they outlive the stack.
      removalPolicy: stage.removalPolicy,
    });
    // The one thing the definition does; SQS-managed encryption needs no KMS permission.
    machine.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.workQueue.queueArn] }));
    suppressStateMachineRoleFindings(machine);
    return machine;
  }

  /** The alarms of the outbox. No action here: subscribe them (SNS, a pager, ...) in the account. */
  private watch(stage: StageConfig): void {
    const { workQueue, workDeadLetterQueue, relayDeadLetterQueue } = this;
    this.alarm('WorkDeadLetterAlarm', 'work-dlq-not-empty', workDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), 0,
      `Work (event dispatches, webhook attempts, authorization expiries) failed ${WORK_MAX_RECEIVE_COUNT} times and waits in ${stage.prefix}-work-dlq: read it, fix the cause, redrive it to ${stage.prefix}-work.`);
    this.alarm('RelayDeadLetterAlarm', 'relay-dlq-not-empty', relayDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), 0,
      `The stream relay gave up on a batch of work items (${stage.prefix}-relay-dlq names the shard and sequence numbers): the items are still in the table, not yet queued or scheduled.`);
    this.alarm('WorkQueueAgeAlarm', 'work-queue-stalled', workQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }), WORK_QUEUE_MAX_AGE.toSeconds(),
      `A message has waited over ${WORK_QUEUE_MAX_AGE.toMinutes()} minutes in ${stage.prefix}-work: the worker is failing, throttled or stopped.`);
    for (const [machine, name] of [[this.webhookRetries, 'webhook-retries'], [this.authorizationExpiry, 'authorization-expiry']] as const) {
      this.alarm(`${machine.node.id}FailedAlarm`, `${name}-failed`, machine.metricFailed({ statistic: 'Sum' }), 0,
        `A ${stage.prefix}-${name} execution failed to put its work on the queue after its retries: that work is still in the table, not queued.`);
    }
  }

  /** An alarm named `<stage prefix>-<name>`, in alarm when the metric (5-minute periods) is above the threshold. */
  private alarm(id: string, name: string, metric: IMetric, threshold: number, description: string): void {
    this.alarms.push(
      new Alarm(this, id, {
        alarmName: `${this.stagePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
