import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DueWork } from '../../domain/events.ts';
import type { EventQueue } from '../../ports.ts';

/** The work queue in AWS: one message per item; the worker function consumes it (at least once). */
export class SqsEventQueue implements EventQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    this.client = client;
    this.queueUrl = queueUrl;
  }

  async enqueue(work: DueWork): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(work) }));
  }
}
