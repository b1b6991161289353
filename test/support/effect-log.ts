import { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import { loadConfig } from '@spillway/config';

/**
 * A place that counts effects WITHOUT a unique key: one row appended per application of an
 * event. `processed_events` and `events` have the event id as primary key, so counting their
 * rows per id always reads 1, whatever the ledger does; here a second application reads 2.
 */
export const EFFECT_LOG_TABLE = 'test_effect_log';
export const CREATE_EFFECT_LOG = `CREATE TABLE IF NOT EXISTS ${EFFECT_LOG_TABLE} (event_id text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

/** What a counting handler does inside the delivery's transaction: append, never upsert. */
export async function appendEffects(tx: EntityManager, ids: string[]): Promise<void> {
  await tx.query(`INSERT INTO ${EFFECT_LOG_TABLE} (event_id) SELECT unnest($1::text[])`, [ids]);
}

export class EffectLog {
  private readonly pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 2 });

  async setup(): Promise<void> {
    await this.pool.query(CREATE_EFFECT_LOG);
  }

  /** How many times each given id was applied (ids never applied are absent). */
  async counts(ids: string[]): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ event_id: string; n: string }>(
      `SELECT event_id, count(*) AS n FROM ${EFFECT_LOG_TABLE} WHERE event_id = ANY($1::text[]) GROUP BY event_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
  }

  /** Ids applied more than once, with their count. */
  async doubled(ids: string[]): Promise<Array<[string, number]>> {
    return [...(await this.counts(ids))].filter(([, n]) => n > 1);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
