import type { QueryRunner } from 'typeorm';
import type { Lane } from '@spillway/config';

/**
 * Per-key order across deliveries, on brokers that have no per-key groups (BullMQ, SQS Standard)
 * and inside one delivery. When an event of key K fails, a fence (lane, K) -> that event's id is
 * written; until it is lifted, no other event of K on that lane is applied. It is lifted when the
 * failed event commits on a retry, or when its delivery's last attempt fails (the driver then
 * dead-letters it), as SQS FIFO unblocks a group once its head is dead-lettered.
 *
 * The worker holds a session advisory lock per key for the whole delivery (the fence check, the
 * handler run and the fence write), so "failed and fenced" is one step as far as any other worker
 * can see: no event of K commits between the failure and its fence.
 */
export class KeyFences {
  private readonly holders = new Map<string, string>();

  private constructor(private readonly runner: QueryRunner, private readonly lane: Lane, private readonly locked: boolean) {}

  /** Locks the keys (in lock-id order, so two workers never deadlock) and reads their fences. */
  static async open(runner: QueryRunner, lane: Lane, keys: string[]): Promise<KeyFences> {
    const fences = new KeyFences(runner, lane, keys.length > 0);
    if (!keys.length) return fences;
    await runner.query(
      `SELECT pg_advisory_lock(id) FROM (
         SELECT DISTINCT hashtextextended($1 || chr(31) || k, 727002) AS id FROM unnest($2::text[]) AS k ORDER BY id
       ) AS ordered`,
      [lane, keys],
    );
    const rows: Array<{ event_key: string; event_id: string }> = await runner.query(
      'SELECT event_key, event_id FROM key_fences WHERE lane = $1 AND event_key = ANY($2::text[])',
      [lane, keys],
    );
    rows.forEach((r) => fences.holders.set(r.event_key, r.event_id));
    return fences;
  }

  get any(): boolean {
    return this.holders.size > 0;
  }

  /** The failed event that holds key K back, when it is not `eventId` itself. */
  heldBy(key: string | undefined, eventId: string): string | undefined {
    const holder = key === undefined ? undefined : this.holders.get(key);
    return holder === eventId ? undefined : holder;
  }

  holds(key: string | undefined, eventId: string): boolean {
    return key !== undefined && this.holders.get(key) === eventId;
  }

  /** Inside the transaction that commits the holder: the key is free from that commit on. */
  async liftIn(tx: { query: QueryRunner['query'] }, key: string): Promise<void> {
    await tx.query('DELETE FROM key_fences WHERE lane = $1 AND event_key = $2', [this.lane, key]);
    this.holders.delete(key);
  }

  async fence(key: string, eventId: string): Promise<void> {
    await this.runner.query(
      'INSERT INTO key_fences (lane, event_key, event_id) VALUES ($1, $2, $3) ON CONFLICT (lane, event_key) DO NOTHING',
      [this.lane, key, eventId],
    );
    if (!this.holders.has(key)) this.holders.set(key, eventId);
  }

  async lift(key: string): Promise<void> {
    await this.liftIn(this.runner, key);
  }

  async close(): Promise<void> {
    if (this.locked) await this.runner.query('SELECT pg_advisory_unlock_all()');
  }
}
