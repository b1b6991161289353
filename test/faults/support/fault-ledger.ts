import { Pool } from 'pg';
import { loadConfig } from '../../../libs/config/src';
import { waitFor } from '../../support/env';

/**
 * The fault fixture's handler bumps a counter per event id with an upsert that is NOT idempotent
 * by itself: if the ledger ever let an event apply twice, its counter would read 2.
 */
export class FaultLedger {
  private readonly pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 2 });

  async setup(): Promise<void> {
    await this.pool.query('CREATE TABLE IF NOT EXISTS fault_effects (event_id text PRIMARY KEY, applied int NOT NULL)');
  }

  /** For the given acknowledged ids: how many are missing from the ledger, and how many applied twice or more. */
  async audit(ids: string[]): Promise<{ acknowledged: number; processed: number; lost: number; doubled: number }> {
    const processed = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM processed_events WHERE id = ANY($1::text[])', [ids]);
    const doubled = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM fault_effects WHERE event_id = ANY($1::text[]) AND applied > 1', [ids]);
    const effects = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM fault_effects WHERE event_id = ANY($1::text[])', [ids]);
    const p = Number(processed.rows[0].n);
    return { acknowledged: ids.length, processed: Math.min(p, Number(effects.rows[0].n)), lost: ids.length - p, doubled: Number(doubled.rows[0].n) };
  }

  /** Waits until every acknowledged id is in the ledger (or a minute passed), then audits. */
  async settle(ids: string[]) {
    await waitFor('every acknowledged event processed', async () => (await this.audit(ids)).lost === 0, 60_000, 250);
    return this.audit(ids);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
