import type { DueWork } from '../../domain/events.ts';
import type { EventQueue } from '../../ports.ts';

/**
 * The local twin of the SQS work queue: runs each item with the consumer the Lambda worker uses,
 * a bounded number at a time. Items stay in the work table until done, so nothing is lost if the
 * process stops: the poller takes them again when their lease ends.
 */
export class InProcessEventQueue implements EventQueue {
  private readonly consume: (work: DueWork) => Promise<void>;
  private readonly concurrency: number;
  private readonly waiting: DueWork[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(consume: (work: DueWork) => Promise<void>, concurrency = 8) {
    this.consume = consume;
    this.concurrency = concurrency;
  }

  async enqueue(work: DueWork): Promise<void> {
    this.waiting.push(work);
    this.pump();
  }

  /** Resolves once everything enqueued so far has run. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.waiting.length > 0) await Promise.race(this.running);
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const work = this.waiting.shift()!;
      const run: Promise<void> = this.consume(work).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }
}
