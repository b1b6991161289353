// The fault suites' audit (test/faults/support/fault-ledger.ts) against planted rows, so that its
// waits can be shown to matter without a fault run loading both cores for minutes: a duplicate that
// lands after every acknowledged id is already in the ledger, inside the lease, is counted only
// because `settle` waits out the lease once more before its count.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadConfig } from '@spillway/config';
import { FaultLedger } from './faults/support/fault-ledger';

describe("the fault audit's settle", () => {
  const ledger = new FaultLedger();
  const pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 1 });
  /** What the fault fixture's handler does for one delivery (test/fixtures/test-worker.js), ledger row included. */
  const apply = async (ids: string[], attempt: number) => {
    await pool.query(
      `INSERT INTO processed_events (id, type, lane, attempts) SELECT id, 'fault.settle', 'normal', $2 FROM unnest($1::text[]) AS id
       ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts`,
      [ids, attempt],
    );
    await pool.query(
      `INSERT INTO fault_effects (event_id, applied) SELECT id, 1 FROM unnest($1::text[]) AS id
       ON CONFLICT (event_id) DO UPDATE SET applied = fault_effects.applied + 1`,
      [ids],
    );
  };

  beforeAll(() => ledger.setup());
  afterAll(async () => {
    await ledger.close();
    await pool.end();
  });

  it('counts a duplicate that comes back within the lease after every id had landed (doubled 1), and a missing id as lost, not a timeout', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await apply(ids, 1);
    // A delivery whose lease was still running comes back 1 s later and applies again (what a
    // worker with the claim broken does: the ledger row does not stop it).
    const late = new Promise<void>((resolve, reject) => setTimeout(() => apply([ids[0]], 2).then(resolve, reject), 1000));
    const audit = await ledger.settle(ids, 2000);
    await late;
    expect(audit).toEqual({ acknowledged: 3, processed: 3, lost: 0, doubled: 1, redelivered: 1 });

    const missing = randomUUID();
    expect(await ledger.settle([...ids, missing], 0, 1000)).toMatchObject({ acknowledged: 4, lost: 1 });
  });
});
