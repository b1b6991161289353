import { Pool } from 'pg';
import { loadConfig } from '@spillway/config';

/** Reads `processed_events` directly, the way an auditor would, not through the app. */
export class Ledger {
  private readonly pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 2 });

  async counts(ids: string[]): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ id: string; n: string }>(
      'SELECT id, count(*) AS n FROM processed_events WHERE id = ANY($1::text[]) GROUP BY id',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  async rows(ids: string[]): Promise<Array<{ id: string; type: string; lane: string; attempts: number }>> {
    const { rows } = await this.pool.query('SELECT id, type, lane, attempts FROM processed_events WHERE id = ANY($1::text[])', [ids]);
    return rows;
  }

  /** Effects written by the reference handler. */
  async storedCount(ids: string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE id = ANY($1::text[])', [ids]);
    return Number(rows[0].n);
  }

  /** The reference handler's rows as stored: payload, key and receipt time. */
  async stored(ids: string[]): Promise<Array<{ id: string; type: string; lane: string; event_key: string | null; data: unknown; received_at: Date }>> {
    const { rows } = await this.pool.query('SELECT id, type, lane, event_key, data, received_at FROM events WHERE id = ANY($1::text[])', [ids]);
    return rows;
  }

  async allProcessed(ids: string[]): Promise<boolean> {
    return (await this.counts(ids)).size === ids.length;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
