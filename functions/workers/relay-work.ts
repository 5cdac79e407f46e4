/**
 * The outbox relay in AWS: the table's stream (filtered to inserted items that are due: events,
 * authorized payments, work items) calls this, and each one's work goes to the work queue now or
 * to its Step Functions wait. A failed record is retried by the event source mapping (bisecting
 * the batch), then sent to the relay's dead-letter queue.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { relayWork } from '../../shared/commands/work.ts';
import { workOf } from '../../shared/adapters/dynamodb/due-records.ts';
import { awsWorkerDependencies } from '../../shared/runtime/aws-workers.ts';

type WorkerDependencies = ReturnType<typeof awsWorkerDependencies>;


export function relayHandler(deps: () => WorkerDependencies) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
      const work = record.eventName === 'INSERT' && image ? workOf(unmarshall(image)) : null;
      if (!work) continue;
      try {
        await relayWork(deps(), work);
      } catch (error) {
        deps().logger.log('error', 'relay failed', { sequence: record.dynamodb?.SequenceNumber, error_name: (error as Error).name });
        failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
        break; // stream order: report from the first failure on
      }
    }
    return { batchItemFailures: failures };
  };
}

let deps: WorkerDependencies | undefined;
export const handler = relayHandler(() => (deps ??= awsWorkerDependencies()));
