/**
 * @spillway-alone its sweeps delete every old processed_events row, and it plants old rows another sweep would take (test/support/suite-lock.ts)
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LambdaEntry } from '../apps/worker/src/lambda/lambda-entry';
import { dataSourceOptions } from '@spillway/db';
import { sleep, testConfig, testEnv, uniquePrefix } from './support/env';
import { failDeletesOfType } from './support/failing-deletes';
import { lambdaContext, sqsEvent } from './support/lambda-events';

/**
 * A lane on Lambda has no pod worker and no timers, so the function keeps the ledger's retention
 * itself: after a batch, at most once per LEDGER_SWEEP_EVERY_MS per container, while time is left.
 */
describe('Lambda worker: the ledger retention is swept after a batch', () => {
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('lsweep'), LEDGER_RETENTION_DAYS: '30', WORKER_LANES: 'low', DB_POOL_MAX: '2' };
  const db = new DataSource(dataSourceOptions(testConfig(env)));
  const entries: LambdaEntry[] = [];
  const container = (overrides: Record<string, string> = {}) => {
    const entry = new LambdaEntry(undefined, testEnv({ ...env, ...overrides }));
    entries.push(entry);
    return entry;
  };
  const insert = async (count: number, daysAgo: number, type = 'lambda-sweep.test'): Promise<string[]> => {
    const ids = Array.from({ length: count }, () => randomUUID());
    await db.query(
      `INSERT INTO processed_events (id, type, lane, attempts, processed_at) SELECT id, $3, 'low', 1, now() - make_interval(days => $2) FROM unnest($1::text[]) AS id`,
      [ids, daysAgo, type],
    );
    return ids;
  };
  const present = async (ids: string[]) => Number((await db.query('SELECT count(*) AS n FROM processed_events WHERE id = ANY($1::text[])', [ids]))[0].n);

  beforeAll(() => db.initialize());
  afterAll(async () => {
    for (const entry of entries) await entry.close();
    await db.query(`DELETE FROM processed_events WHERE type IN ('lambda-sweep.test', 'lambda-sweep.fails')`);
    await db.destroy();
  });

  it("a container's first batch sweeps rows past the retention (every batch of 5000), keeps younger ones; the next batch does not sweep again", async () => {
    const old = await insert(12_000, 31);
    const young = await insert(50, 29);
    const entry = container();
    expect(await entry.handle(sqsEvent([]), lambdaContext(60_000))).toEqual({ batchItemFailures: [] });
    expect(await present(old)).toBe(0);
    expect(await present(young)).toBe(young.length);

    // Not due for LEDGER_SWEEP_EVERY_MS (15 min): the same container leaves new old rows alone.
    const later = await insert(100, 31);
    await entry.handle(sqsEvent([]), lambdaContext(60_000));
    expect(await present(later)).toBe(later.length);
    // A new container sweeps on its first batch.
    await container().handle(sqsEvent([]), lambdaContext(60_000));
    expect(await present(later)).toBe(0);
  });

  it('an invocation near its end does not start a sweep: the batch answers in time', async () => {
    const old = await insert(100, 31);
    await container().handle(sqsEvent([]), lambdaContext(4000));
    expect(await present(old)).toBe(old.length);
    await db.query('DELETE FROM processed_events WHERE id = ANY($1::text[])', [old]);
  });

  it('a sweep that fails is logged and the batch still answers; the container tries again when the sweep is next due', async () => {
    const undo = await failDeletesOfType(db, 'lambda-sweep.fails');
    const warn = vi.spyOn(Logger.prototype, 'warn');
    try {
      const old = await insert(20, 31, 'lambda-sweep.fails');
      const entry = container({ LEDGER_SWEEP_EVERY_MS: '1000' });
      expect(await entry.handle(sqsEvent([]), lambdaContext(60_000))).toEqual({ batchItemFailures: [] });
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/^ledger sweep failed \(next try in 1 s\): .*test refuses to delete lambda-sweep.fails rows/));
      expect(await present(old)).toBe(old.length);

      await undo();
      // The failed sweep counts as this interval's: not again before it is due, then again.
      await entry.handle(sqsEvent([]), lambdaContext(60_000));
      expect(await present(old)).toBe(old.length);
      await sleep(1100);
      await entry.handle(sqsEvent([]), lambdaContext(60_000));
      expect(await present(old)).toBe(0);
    } finally {
      warn.mockRestore();
      await undo();
    }
  });
});
