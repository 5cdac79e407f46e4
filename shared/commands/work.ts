import { ApiError } from '../domain/errors.ts';
import type { DueWork } from '../domain/events.ts';
import type { Dependencies } from '../dependencies.ts';
import type { EventQueue, Scheduler } from '../ports.ts';
import { expireAuthorization } from './payments.ts';
import { deliverWebhook, dispatchEvent } from './webhooks.ts';

/** Runs one item of due work. The same code runs in the Lambda worker and in the local gateway's worker. */
export async function runWork(deps: Dependencies, work: DueWork): Promise<void> {
  switch (work.kind) {
    case 'dispatch_event':
      return dispatchEvent(deps, work);
    case 'deliver_webhook':
      return deliverWebhook(deps, work);
    case 'expire_authorization': {
      let payment;
      try {
        payment = await expireAuthorization(deps, work.merchantId, work.ref);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'resource_not_found')) throw error;
        return;
      }
      // Run a moment early (a clock behind the scheduler's): not done, so it is not completed and runs again.
      if (payment.status === 'authorized') throw new Error('The authorization has not expired yet; its expiry runs again.');
      return;
    }
  }
}

/**
 * The local relay: claims what is due (leased, so no other poller takes it meanwhile) and relays
 * it. An item whose run fails (or whose process dies) is taken again when its lease ends.
 * In AWS the sweeper runs it with `overdueMs`: only what the stream relay should long have
 * handled (a relay that gave up, a failed wait, a message gone to the dead-letter queue).
 */
export async function pollDueWork(
  deps: Dependencies & { queue: EventQueue; scheduler: Scheduler },
  options: { leaseMs: number; max: number; overdueMs?: number },
): Promise<number> {
  const now = deps.clock.now();
  const dueBefore = new Date(now.getTime() - (options.overdueMs ?? 0));
  const claimed = await deps.store.claimDueWork(dueBefore, new Date(now.getTime() + options.leaseMs), options.max);
  for (const work of claimed) await relayWork(deps, work);
  return claimed.length;
}

/**
 * Moves a newly written work item toward its run: due now, onto the queue; due later, to the
 * scheduler, which puts it on the queue at its time. In AWS this runs on the table's stream.
 */
export async function relayWork(deps: Dependencies & { queue: EventQueue; scheduler: Scheduler }, work: DueWork): Promise<void> {
  if (Date.parse(work.runAt) <= deps.clock.now().getTime()) await deps.queue.enqueue(work);
  else await deps.scheduler.scheduleAt(work);
}

/** What a queue consumer does with one message: run it, then delete it from the table. */
export async function processWork(deps: Dependencies, work: DueWork): Promise<void> {
  await runWork(deps, work);
  await deps.store.completeWork(work);
}
