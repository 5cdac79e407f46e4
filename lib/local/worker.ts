import { runDueWork } from '../../shared/commands/work.ts';
import type { Dependencies } from '../../shared/dependencies.ts';

/** A lease longer than a webhook's 10 s time-out, so a slow receiver is not attempted twice. */
const LEASE_MS = 30_000;

/**
 * The local twin of SQS + Step Functions: polls the due work kept in DynamoDB Local and runs it,
 * so a restart of the gateway loses no pending delivery or expiry.
 */
export function startWorker(deps: Dependencies, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = () => {
    running = (async () => {
      try {
        // Drain what is due before sleeping again.
        while (!stopped && (await runDueWork(deps, { leaseMs: LEASE_MS, max: 16 })) > 0);
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
      await running;
    },
  };
}
