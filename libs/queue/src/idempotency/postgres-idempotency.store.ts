import { Pool } from 'pg';
import type { SpillwayConfig } from '../../../config/src';
import { BrokerUnavailableError } from '../queue.port';
import { withTimeout } from '../timeout';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.store';

/**
 * Idempotency-Key records in Postgres (table `idempotency_keys`), for QUEUE_DRIVER=sqs where no
 * Redis need exist. An expired row counts as absent and is overwritten; old rows are swept now
 * and then by the writes themselves, so no scheduler is needed.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly pool: Pool;
  private writes = 0;

  constructor(private readonly config: SpillwayConfig) {
    this.pool = new Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: config.enqueueTimeoutMs });
    this.pool.on('error', () => undefined); // an idle client dropped by the server; the next query reconnects
  }

  async seen(scope: string, key: string): Promise<IdempotencyRecord | null> {
    const query = this.pool.query<{ event_id: string; lane: IdempotencyRecord['lane'] }>(
      'SELECT event_id, lane FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()',
      [scope, key],
    );
    try {
      const { rows } = await withTimeout(query, this.config.enqueueTimeoutMs, () => new Error('postgres did not answer in time'));
      return rows[0] ? { id: rows[0].event_id, lane: rows[0].lane } : null;
    } catch (err) {
      throw new BrokerUnavailableError(`idempotency store unavailable: ${(err as Error).message}`, err);
    }
  }

  async remember(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO idempotency_keys (scope, key, event_id, lane, expires_at) VALUES ($1, $2, $3, $4, now() + interval '24 hours')
       ON CONFLICT (scope, key) DO UPDATE SET event_id = excluded.event_id, lane = excluded.lane, expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= now()`,
      [scope, key, record.id, record.lane],
    );
    if (++this.writes % 500 === 0) {
      await this.pool
        .query('DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT 1000)')
        .catch(() => undefined);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
