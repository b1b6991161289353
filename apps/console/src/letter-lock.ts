import type { DeadLetter } from '../../../libs/queue/src';

/**
 * One dead-letter reader at a time per side: on SQS reading letters means receiving them (hidden
 * until made visible again), so two readers at once would each miss what the other holds. Finding,
 * opening, acting and tracing queue up; the report does not wait: while its side is busy, its
 * column shows the letters as last read.
 */
export class LetterLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly queued = new Map<string, number>();
  private readonly last = new Map<string, DeadLetter[]>();

  run<T>(side: string, work: () => Promise<T>): Promise<T> {
    this.queued.set(side, (this.queued.get(side) ?? 0) + 1);
    const mine = (this.tails.get(side) ?? Promise.resolve())
      .then(work)
      .finally(() => this.queued.set(side, this.queued.get(side)! - 1));
    this.tails.set(side, mine.catch(() => undefined));
    return mine;
  }

  /** The report's read of a lane's letters: now when the side is free, else as last read. */
  async forReport(side: string, lane: string, read: () => Promise<DeadLetter[]>): Promise<DeadLetter[]> {
    const key = `${side}/${lane}`;
    if (this.queued.get(side)) return this.last.get(key) ?? [];
    const letters = await this.run(side, read);
    this.last.set(key, letters);
    return letters;
  }
}
