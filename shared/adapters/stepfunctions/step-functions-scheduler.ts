import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DueWork, WorkKind } from '../../domain/events.ts';
import type { Scheduler } from '../../ports.ts';

/**
 * Delayed work in AWS: one Step Functions execution per item, which waits until `runAt` and then
 * puts the item on the work queue. Webhook retries and authorization expiries have state
 * machines of their own (same shape), so each can be watched and throttled on its own.
 * The execution is named after the work id, so a relay that runs twice starts it once.
 */
export class StepFunctionsScheduler implements Scheduler {
  private readonly client: SFNClient;
  private readonly stateMachineArns: Record<WorkKind, string>;

  constructor(client: SFNClient, stateMachineArns: Record<WorkKind, string>) {
    this.client = client;
    this.stateMachineArns = stateMachineArns;
  }

  async scheduleAt(work: DueWork): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArns[work.kind],
          name: work.id,
          input: JSON.stringify({ runAt: work.runAt, work }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}

/**
 * The Amazon States Language of a delayed-work state machine: wait until the input's `runAt`,
 * then send the work item to the queue. The CDK stack deploys it; tests execute it.
 */
export function delayedWorkDefinition(queueUrl: string): Record<string, unknown> {
  return {
    Comment: 'Waits until runAt, then puts the work item on the work queue.',
    StartAt: 'WaitUntilDue',
    States: {
      WaitUntilDue: { Type: 'Wait', TimestampPath: '$.runAt', Next: 'EnqueueWork' },
      EnqueueWork: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage',
        Parameters: { QueueUrl: queueUrl, 'MessageBody.$': 'States.JsonToString($.work)' },
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }],
        End: true,
      },
    },
  };
}
