import type { DataSource } from 'typeorm';

/** Rows per DELETE: small enough that one statement never holds many locks or runs for long. */
export const SWEEP_BATCH = 5000;

/**
 * Deletes up to SWEEP_BATCH `processed_events` rows older than the retention; returns how many.
 * SKIP LOCKED: sweepers running at once (pods, Lambda containers) take different rows instead of
 * queueing behind each other's row locks.
 */
export async function sweepLedgerBatch(dataSource: DataSource, retentionDays: number): Promise<number> {
  const [, deleted] = (await dataSource.query(
    `DELETE FROM processed_events WHERE id IN (
       SELECT id FROM processed_events WHERE processed_at < now() - make_interval(days => $1)
       LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED
     )`,
    [retentionDays],
  )) as [unknown, number];
  return deleted;
}
