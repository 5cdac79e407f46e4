/**
 * The outbox's safety net in AWS, on a schedule: work items overdue by more than OVERDUE_MS are
 * ones the stream relay, a Step Functions wait or the work queue failed to carry (their dead-letter
 * queues say which); they are still in the table, so the sweeper leases them and relays them
 * again. Work is idempotent, so a late duplicate is harmless. Nothing is lost.
 */
import { pollDueWork } from '../../shared/commands/work.ts';
import { awsWorkerDependencies } from '../../shared/runtime/aws-workers.ts';

/** Past the work queue's age alarm: the normal path has clearly failed for these. */
export const OVERDUE_MS = 15 * 60_000;
/** The lease of a swept item: longer than the worker's retries through the queue. */
const LEASE_MS = 30 * 60_000;
const BATCH = 100;
/** Stop starting new batches this long before the function's own timeout. */
const SAFETY_MS = 10_000;

export function sweepHandler(deps: () => ReturnType<typeof awsWorkerDependencies>) {
  return async (_event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<{ swept: number }> => {
    // Work items of a stack deployed before the `due` index move into it first (a no-op once none is left).
    const adopted = await deps().store.adoptLegacyWork();
    if (adopted > 0) deps().logger.log('info', 'moved work items into the due index', { moved: adopted });
    let swept = 0;
    for (;;) {
      const relayed = await pollDueWork(deps(), { leaseMs: LEASE_MS, max: BATCH, overdueMs: OVERDUE_MS });
      swept += relayed;
      if (relayed < BATCH || (context?.getRemainingTimeInMillis?.() ?? Infinity) < SAFETY_MS) break;
    }
    if (swept > 0) deps().logger.log('warn', 'swept overdue work back onto the queue', { swept });
    return { swept };
  };
}

let deps: ReturnType<typeof awsWorkerDependencies> | undefined;
export const handler = sweepHandler(() => (deps ??= awsWorkerDependencies()));
