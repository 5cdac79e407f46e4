import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsEventQueue } from '../adapters/sqs/sqs-event-queue.ts';
import { StepFunctionsScheduler } from '../adapters/stepfunctions/step-functions-scheduler.ts';
import type { Dependencies } from '../dependencies.ts';
import type { EventQueue, Scheduler } from '../ports.ts';
import { sharedAwsDependencies } from './aws.ts';
import { required } from './aws-basics.ts';

/**
 * The workers' composition root: the shared adapters plus the SQS work queue and the Step
 * Functions schedulers (a module of its own, so the route bundles carry neither client).
 */
export function awsWorkerDependencies(): Dependencies & { queue: EventQueue; scheduler: Scheduler } {
  const delayed = {
    dispatch_event: required('PAYGATE_WEBHOOK_RETRY_STATE_MACHINE_ARN'),
    deliver_webhook: required('PAYGATE_WEBHOOK_RETRY_STATE_MACHINE_ARN'),
    expire_authorization: required('PAYGATE_EXPIRY_STATE_MACHINE_ARN'),
  };
  return {
    ...sharedAwsDependencies(),
    queue: new SqsEventQueue(new SQSClient({}), required('PAYGATE_WORK_QUEUE_URL')),
    scheduler: new StepFunctionsScheduler(new SFNClient({}), delayed),
  };
}
