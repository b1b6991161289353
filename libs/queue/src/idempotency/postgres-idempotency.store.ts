import { Pool } from 'pg';
import type { SpillwayConfig } from '@spillway/config';
import { pgConnectionOptions } from '@spillway/db-connection';
import type { IdempotencyReservation, IdempotencyStore } from './idempotency.store';

// Creates the record, or takes over one whose window has passed (with a later generation);
// a live record is left alone and read back by the second half.
const RESERVE = `
WITH ins AS (
  INSERT INTO idempotency_keys AS k (scope, key, event_id, lane, generation, held, reserved_at, expires_at)
  VALUES ($1, $2, '', '', $3, false, now(), now() + $4 * interval '1 millisecond')
  ON CONFLICT (scope, key) DO UPDATE
    SET generation = GREATEST(excluded.generation, COALESCE(k.generation, -1) + 1), held = false,
        reserved_at = now(), expires_at = excluded.expires_at, event_id = '', lane = ''
    WHERE k.expires_at <= now()
  RETURNING k.generation, k.held, 0::float8 AS age_ms, true AS fresh
)
SELECT * FROM ins
UNION ALL
SELECT generation, held, extract(epoch FROM now() - reserved_at) * 1000, false
  FROM idempotency_keys WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM ins)`;

/**
 * Idempotency-Key records in Postgres (table `idempotency_keys`), for QUEUE_DRIVER=sqs where no
 * Redis need exist. A row is live until `expires_at` (reserved + window); `sweep` deletes rows
 * older than the retention, and the absorber runs it on a timer.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly pool: Pool;

  constructor(private readonly config: SpillwayConfig) {
    this.pool = new Pool({
      ...pgConnectionOptions(config), // DATABASE_URL, with DATABASE_CA's CAs when set
      max: config.dbPoolMax,
      connectionTimeoutMillis: config.enqueueTimeoutMs,
      query_timeout: config.enqueueTimeoutMs,
    });
    this.pool.on('error', () => undefined); // an idle client dropped by the server; the next query reconnects
  }

  async reserve(scope: string, key: string, proposed: number): Promise<IdempotencyReservation> {
    // A concurrent insert of the same key that committed after this statement's snapshot is
    // invisible to the read half: the statement then returns nothing, and a second one sees it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.pool.query<{ generation: string | null; held: boolean; age_ms: number; fresh: boolean }>(RESERVE, [
        scope,
        key,
        proposed,
        this.config.idempotencyWindowMs,
      ]);
      const row = rows[0];
      if (row) {
        return { generation: row.generation === null ? undefined : Number(row.generation), held: row.held, fresh: row.fresh, ageMs: Number(row.age_ms) };
      }
    }
    throw new Error(`idempotency record for the key could not be reserved or read`);
  }

  async markHeld(scope: string, key: string, generation: number | undefined): Promise<void> {
    if (generation === undefined) return;
    await this.pool.query('UPDATE idempotency_keys SET held = true WHERE scope = $1 AND key = $2 AND generation = $3', [scope, key, generation]);
  }

  async release(scope: string, key: string, generation: number | undefined): Promise<void> {
    if (generation === undefined) return;
    await this.pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND generation = $3 AND NOT held', [scope, key, generation]);
  }

  async sweep(): Promise<number> {
    const keepMs = this.config.idempotencyRetentionMs - this.config.idempotencyWindowMs;
    const { rowCount } = await this.pool.query(
      `DELETE FROM idempotency_keys WHERE ctid IN (
         SELECT ctid FROM idempotency_keys WHERE expires_at < now() - $1 * interval '1 millisecond' LIMIT 10000)`,
      [keepMs],
    );
    return rowCount ?? 0;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
