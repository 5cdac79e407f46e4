import { InProcessEventQueue } from '../../shared/adapters/local/in-process-queue.ts';
import { TableScheduler } from '../../shared/adapters/local/table-scheduler.ts';
import { pollDueWork, processWork } from '../../shared/commands/work.ts';
import type { Dependencies } from '../../shared/dependencies.ts';
import type { DueWork } from '../../shared/domain/events.ts';
import { vaultLimitedTo } from '../../shared/adapters/vault/limited-vault.ts';
import { WORKERS } from '../../shared/workers.ts';

/** A lease longer than a webhook's 10 s time-out, so a slow receiver is not attempted twice. */
const LEASE_MS = 30_000;

/** The consumer of the local queue: the Lambda worker's code; a failure leaves the item to its lease. */
function consumer(allDeps: Dependencies): (work: DueWork) => Promise<void> {
  // The vault as the work runner's function has it in AWS: its MAC purposes only.
  const deps = { ...allDeps, vault: vaultLimitedTo(allDeps.vault, WORKERS.runWork.macs) };
  return async (work) => {
    try {
      await processWork(deps, work);
    } catch (error) {
      deps.logger.log('error', 'due work failed; it runs again when its lease ends', {
        work_id: work.id,
        work_kind: work.kind,
        error_name: error instanceof Error ? error.name : typeof error,
        error_message: error instanceof Error ? error.message : undefined,
      });
    }
  };
}

/** Polls once and waits for what it relayed to finish: the tests' "run everything due now". */
export async function runDueWork(deps: Dependencies): Promise<number> {
  const queue = new InProcessEventQueue(consumer(deps));
  const relayed = await pollDueWork({ ...deps, queue, scheduler: new TableScheduler(deps.store) }, { leaseMs: LEASE_MS, max: 50 });
  await queue.idle();
  return relayed;
}

/**
 * The local twin of the stream relay, Step Functions and SQS: polls the due work kept in DynamoDB
 * Local and runs it through the same relay and consumer as AWS, so a restart loses nothing.
 */
export function startWorker(deps: Dependencies, intervalMs: number, storeAvailable: () => boolean = () => true): { stop(): Promise<void> } {
  const queue = new InProcessEventQueue(consumer(deps));
  const relay = { ...deps, queue, scheduler: new TableScheduler(deps.store) };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();

  const tick = () => {
    polling = (async () => {
      try {
        // While the store is down (it is being restarted) there is nothing to poll: no error per tick.
        while (!stopped && storeAvailable() && (await pollDueWork(relay, { leaseMs: LEASE_MS, max: 16 })) > 0);
      } catch (error) {
        deps.logger.log('error', 'worker poll failed', { error_message: error instanceof Error ? error.message : String(error) });
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await polling;
      await queue.idle();
    },
  };
}
