/**
 * The work queue's consumer in AWS: dispatches events, attempts webhook deliveries and expires
 * authorizations, with the same code the local gateway's worker runs. A message that fails is
 * reported back (partial batch response) so SQS retries it, then its dead-letter queue keeps it.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processWork } from '../../shared/commands/work.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import type { DueWork } from '../../shared/domain/events.ts';
import { awsDependencies } from '../../shared/runtime/aws.ts';

export function runWorkHandler(deps: () => Dependencies) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await processWork(deps(), JSON.parse(record.body) as DueWork);
        } catch (error) {
          deps().logger.log('error', 'work failed; SQS will retry it', { message_id: record.messageId, error_name: (error as Error).name });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}

let deps: Dependencies | undefined;
export const handler = runWorkHandler(() => (deps ??= awsDependencies()));
