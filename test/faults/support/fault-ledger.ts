import { Pool } from 'pg';
import { loadConfig } from '@spillway/config';
import { sleep, waitFor } from '../../support/env';

export interface Audit {
  acknowledged: number;
  processed: number;
  lost: number;
  doubled: number;
  /** Processed on a delivery attempt after the first (the broker delivered them again). */
  redelivered: number;
}

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
  async audit(ids: string[]): Promise<Audit> {
    const { rows } = await this.pool.query<{ processed: string; redelivered: string; doubled: string; effects: string }>(
      `SELECT (SELECT count(*) FROM processed_events WHERE id = ANY($1::text[])) AS processed,
              (SELECT count(*) FROM processed_events WHERE id = ANY($1::text[]) AND attempts > 1) AS redelivered,
              (SELECT count(*) FROM fault_effects WHERE event_id = ANY($1::text[]) AND applied > 1) AS doubled,
              (SELECT count(*) FROM fault_effects WHERE event_id = ANY($1::text[])) AS effects`,
      [ids],
    );
    const p = Number(rows[0].processed);
    return { acknowledged: ids.length, processed: Math.min(p, Number(rows[0].effects)), lost: ids.length - p, doubled: Number(rows[0].doubled), redelivered: Number(rows[0].redelivered) };
  }

  /**
   * Waits until every acknowledged id is in the ledger (or a minute passed), then waits out
   * `leaseMs` once more before the count that counts: a delivery whose lease (visibility) was
   * still running when the last id landed could come back and apply again, and only a count
   * taken after it had the chance can see that duplicate. If some never arrive, the audit says
   * how many (`lost`) rather than a timeout.
   */
  async settle(ids: string[], leaseMs: number, maxWaitMs = 45_000): Promise<Audit> {
    const allThere = await waitFor('every acknowledged event processed', async () => (await this.audit(ids)).lost === 0, maxWaitMs, 250).catch(() => false);
    if (allThere) await sleep(leaseMs + 500);
    return this.audit(ids);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * The fault must have met traffic on both sides: at least `min` acknowledged before it and at
 * least `min` after it. A run where every request was refused (or the load died at the fault)
 * would otherwise report "0 lost" and prove nothing.
 */
export function expectAcknowledgedAround(ackedAtFault: number, ackedInAll: number, min: number): void {
  const [before, after] = [ackedAtFault, ackedInAll - ackedAtFault];
  expect({ before: before >= min ? 'enough' : before, after: after >= min ? 'enough' : after }).toEqual({ before: 'enough', after: 'enough' });
}
