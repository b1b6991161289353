import { readFileSync } from 'node:fs';
import { Client } from 'pg';

/** The `@spillway-alone` pragma (in a suite file's first comment): no other integration suite runs beside it. */
export const ALONE_PRAGMA = '@spillway-alone';
/** One advisory lock key for the whole run (any number; advisory locks are per database). */
const SUITES_KEY = 0x5350_4c57;

/** Whether the file's first comment carries the pragma (only the head is read: the pragma leads the file). */
export function runsAlone(file: string): boolean {
  const head = readFileSync(file, 'utf8').slice(0, 2_000);
  const first = /^\s*\/\*[\s\S]*?\*\//.exec(head)?.[0] ?? '';
  return first.includes(ALONE_PRAGMA);
}

/*
 * The integration suites run side by side (two Vitest workers, vitest.config.mts) in one Postgres
 * database and one Redis. Each holds this lock while it runs: shared by default, so any number run
 * together; exclusive for a suite marked `@spillway-alone`, which then waits for the others to
 * finish and keeps new ones out until it is done. Such a suite touches state no prefix separates:
 * the ledger sweeps delete every old `processed_events` row, whoever planted it. Postgres hands the
 * lock out in order, so a waiting exclusive suite is not starved by later shared ones. A setup file
 * of the integration project: its hooks run around each file's own.
 */
let client: Client | undefined;

beforeAll(async () => {
  const file = expect.getState().testPath;
  if (!file) throw new Error('suite lock: Vitest did not say which file is running');
  // The config's own default (libs/config), read here without loading the app's modules.
  client = new Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', application_name: 'vitest suite lock' });
  await client.connect();
  await client.query(runsAlone(file) ? 'SELECT pg_advisory_lock($1)' : 'SELECT pg_advisory_lock_shared($1)', [SUITES_KEY]);
}, 30 * 60_000);

afterAll(async () => {
  // Ending the session releases the lock (so does the worker process ending).
  await client?.end().catch(() => undefined);
});
