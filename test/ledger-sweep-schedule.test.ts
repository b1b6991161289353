import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LedgerSweeper } from '../apps/worker/src/ledger-sweeper';
import { dataSourceOptions } from '../libs/db/src';
import { sleep, testConfig, waitFor } from './support/env';

// The sweeper as the worker runs it: started by onApplicationBootstrap, on its own timers, stopped
// by onApplicationShutdown; only the interval is short (LEDGER_SWEEP_EVERY_MS), the DELETE is real.
describe('ledger sweeper schedule: sweeps on its timers until shutdown', () => {
  const EVERY_MS = 300;
  const config = testConfig({ LEDGER_RETENTION_DAYS: '30', LEDGER_SWEEP_EVERY_MS: String(EVERY_MS) });
  const db = new DataSource(dataSourceOptions(config));
  beforeAll(() => db.initialize());

  const rows = (n: number) => Array.from({ length: n }, () => randomUUID());
  const insert = (ids: string[], daysAgo: number) =>
    db.query(`INSERT INTO processed_events (id, type, lane, attempts, processed_at) SELECT id, 'sweep-schedule.test', 'low', 1, now() - make_interval(days => $2) FROM unnest($1::text[]) AS id`, [ids, daysAgo]);
  const present = async (ids: string[]) => Number((await db.query('SELECT count(*) AS n FROM processed_events WHERE id = ANY($1::text[])', [ids]))[0].n);
  afterAll(async () => {
    await db.query(`DELETE FROM processed_events WHERE type = 'sweep-schedule.test'`);
    await db.destroy();
  });

  it('sweeps old rows shortly after start and again on every interval, keeps young ones; shutdown stops it', async () => {
    const sweeper = new LedgerSweeper(db, config);
    const young = rows(20);
    const first = rows(200);
    await insert(young, 29);
    await insert(first, 31);
    sweeper.onApplicationBootstrap();
    try {
      // Nobody calls sweep(): only the timers can delete these.
      await waitFor('the first scheduled sweep', async () => (await present(first)) === 0, 5000, 50);
      // Rows that age past the retention after the first sweep: only the interval comes back for them.
      const later = rows(200);
      await insert(later, 31);
      await waitFor('a sweep on the interval', async () => (await present(later)) === 0, 5000, 50);
      expect(await present(young)).toBe(young.length);
    } finally {
      await sweeper.onApplicationShutdown();
    }
    const afterShutdown = rows(200);
    await insert(afterShutdown, 31);
    await sleep(EVERY_MS * 4);
    expect(await present(afterShutdown)).toBe(afterShutdown.length);
  });

  it('shutdown waits for a sweep in progress to finish', async () => {
    const old = rows(12_000); // three DELETE batches of 5000
    await insert(old, 31);
    let started!: () => void;
    const deleting = new Promise<void>((r) => (started = r));
    // The real DataSource, telling when the first DELETE goes out.
    const watched = { query: (sql: string, params?: unknown[]) => (started(), db.query(sql, params)) } as unknown as DataSource;
    const sweeper = new LedgerSweeper(watched, config);
    sweeper.onApplicationBootstrap();
    await deleting;
    await sweeper.onApplicationShutdown();
    expect(await present(old)).toBe(0);
  });
});
