import { ApiError } from '../domain/errors.ts';
import type { DueWork } from '../domain/events.ts';
import type { Dependencies } from '../dependencies.ts';
import { expireAuthorization } from './payments.ts';
import { deliverWebhook, dispatchEvent } from './webhooks.ts';

/** Runs one item of due work. The same code runs in the Lambda worker and in the local gateway's worker. */
export async function runWork(deps: Dependencies, work: DueWork): Promise<void> {
  switch (work.kind) {
    case 'dispatch_event':
      return dispatchEvent(deps, work);
    case 'deliver_webhook':
      return deliverWebhook(deps, work);
    case 'expire_authorization':
      try {
        await expireAuthorization(deps, work.merchantId, work.ref);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'resource_not_found')) throw error;
      }
      return;
  }
}

/**
 * Claims what is due, runs it, and deletes each item once done. An item whose run fails (or
 * whose worker dies) stays leased and is taken again when the lease ends: at least once.
 */
export async function runDueWork(deps: Dependencies, options: { leaseMs: number; max: number }): Promise<number> {
  const now = deps.clock.now();
  const claimed = await deps.store.claimDueWork(now, new Date(now.getTime() + options.leaseMs), options.max);
  await Promise.all(
    claimed.map(async (work) => {
      try {
        await runWork(deps, work);
        await deps.store.completeWork(work);
      } catch (error) {
        deps.logger.log('error', 'due work failed; it will run again when its lease ends', {
          work_id: work.id,
          work_kind: work.kind,
          error_name: error instanceof Error ? error.name : typeof error,
          error_message: error instanceof Error ? error.message : undefined,
        });
      }
    }),
  );
  return claimed.length;
}
