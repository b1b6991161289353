import type { DeadLetter } from '@spillway/queue';

/**
 * One dead-letter operation at a time per side: on SQS reading letters means receiving them
 * (hidden until made visible again), so two readers at once would each miss what the other holds.
 * Finding, opening, acting and tracing queue up behind each other and behind the report's reads
 * in progress; the report does not wait: while an operation is queued or running on its side, its
 * column shows the letters as last read. The report's own reads (one per lane, each lane its own
 * queue) run side by side.
 */
export class LetterLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly operations = new Map<string, number>();
  private readonly last = new Map<string, DeadLetter[]>();

  run<T>(side: string, work: () => Promise<T>): Promise<T> {
    this.operations.set(side, (this.operations.get(side) ?? 0) + 1);
    const mine = (this.tails.get(side) ?? Promise.resolve())
      .then(work)
      .finally(() => this.operations.set(side, this.operations.get(side)! - 1));
    this.tails.set(side, mine.catch(() => undefined));
    return mine;
  }

  /** The report's read of a lane's letters: now when no operation holds the side, else as last read. */
  async forReport(side: string, lane: string, read: () => Promise<DeadLetter[]>): Promise<DeadLetter[]> {
    const key = `${side}/${lane}`;
    if (this.operations.get(side)) return this.last.get(key) ?? [];
    const reading = read();
    // An operation asked for meanwhile starts after this read is done.
    this.tails.set(side, Promise.all([this.tails.get(side), reading.catch(() => undefined)]));
    const letters = await reading;
    this.last.set(key, letters);
    return letters;
  }
}
