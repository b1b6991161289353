/**
 * @spillway-alone its sweeps delete every old processed_events row, and it plants old rows another sweep would take (test/support/suite-lock.ts)
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LedgerSweeper } from '../apps/worker/src/ledger-sweeper';
import { dataSourceOptions } from '@spillway/db';
import { sleep, testConfig, waitFor } from './support/env';
import { failDeletesOfType } from './support/failing-deletes';

// Real time for the test's own waits while the sweeper's timers are faked.
const realSetTimeout = globalThis.setTimeout;
const realSleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

// The sweeper as the worker runs it: started by onApplicationBootstrap, on its own timers, stopped
// by onApplicationShutdown; only the interval is short (LEDGER_SWEEP_EVERY_MS), the DELETE is real.
describe('ledger sweeper schedule: sweeps on its timers until shutdown', () => {
  const EVERY_MS = 300;
  const config = testConfig({ LEDGER_RETENTION_DAYS: '30', LEDGER_SWEEP_EVERY_MS: String(EVERY_MS) });
  const db = new DataSource(dataSourceOptions(config));
  beforeAll(() => db.initialize());

  const rows = (n: number) => Array.from({ length: n }, () => randomUUID());
  const insert = (ids: string[], daysAgo: number, type = 'sweep-schedule.test') =>
    db.query(`INSERT INTO processed_events (id, type, lane, attempts, processed_at) SELECT id, $3, 'low', 1, now() - make_interval(days => $2) FROM unnest($1::text[]) AS id`, [ids, daysAgo, type]);
  const present = async (ids: string[]) => Number((await db.query('SELECT count(*) AS n FROM processed_events WHERE id = ANY($1::text[])', [ids]))[0].n);
  afterAll(async () => {
    await db.query(`DELETE FROM processed_events WHERE type IN ('sweep-schedule.test', 'sweep-schedule.fails')`);
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

  // The first sweep's own timer, at the default interval (15 min): the clock is faked for the
  // sweeper's timers only; the DELETE still runs against Postgres on real time.
  it('at the default interval, the first sweep comes between 30 and 60 s after start (jitter), not at the first interval', async () => {
    const defaults = testConfig({ LEDGER_RETENTION_DAYS: '30' });
    expect(defaults.ledgerSweepEveryMs).toBe(15 * 60_000);
    const old = rows(100);
    await insert(old, 31);
    // The timers only (jest's list was the things not to fake): promises, Date and I/O stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const random = vi.spyOn(Math, 'random');
    const sweeper = new LedgerSweeper(db, defaults);
    try {
      random.mockReturnValue(1); // the longest jitter: 30 s + 30 s
      sweeper.onApplicationBootstrap();
      random.mockRestore();
      vi.advanceTimersByTime(59_999);
      await realSleep(500);
      expect(await present(old)).toBe(old.length);
      vi.advanceTimersByTime(1);
      for (let i = 0; i < 40 && (await present(old)) > 0; i++) await realSleep(50);
      expect(await present(old)).toBe(0);
    } finally {
      random.mockRestore();
      await sweeper.onApplicationShutdown();
      vi.useRealTimers();
    }
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

  it('a sweep that fails is logged, not thrown, and the next interval sweeps again', async () => {
    const undo = await failDeletesOfType(db, 'sweep-schedule.fails');
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const sweeper = new LedgerSweeper(db, config);
    try {
      const old = rows(50);
      await insert(old, 31, 'sweep-schedule.fails');
      sweeper.onApplicationBootstrap();
      const failed = () => warn.mock.calls.some((c) => /^ledger sweep failed \(next try in 0.3 s\): .*test refuses to delete sweep-schedule.fails rows/.test(String(c[0])));
      await waitFor('a failed sweep logged', async () => failed(), 5000, 20);
      expect(await present(old)).toBe(old.length);
      await undo();
      await waitFor('a sweep on a later interval', async () => (await present(old)) === 0, 5000, 50);
    } finally {
      await sweeper.onApplicationShutdown();
      warn.mockRestore();
      await undo();
    }
  });
});
