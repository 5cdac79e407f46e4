import type { DueWork } from '../../domain/events.ts';
import type { Scheduler, Store } from '../../ports.ts';

/** The local twin of the Step Functions wait: the item waits in the work table until the poller finds it due. */
export class TableScheduler implements Scheduler {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  scheduleAt(work: DueWork): Promise<void> {
    return this.store.scheduleWork(work);
  }
}
