import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';
import { Client } from 'pg';

/** The `@spillway-alone` docblock pragma (first comment of a suite's file): no other integration suite runs beside it. */
export const ALONE_PRAGMA = 'spillway-alone';
/** One advisory lock key for the whole run (any number; advisory locks are per database). */
const SUITES_KEY = 0x5350_4c57;

/**
 * The integration suites run side by side (jest workers) in one Postgres database and one Redis.
 * Each holds this lock while it runs: shared by default, so any number run together; exclusive
 * for a suite marked `@spillway-alone`, which then waits for the others to finish and keeps
 * new ones out until it is done. Such a suite touches state no prefix separates: the ledger
 * sweeps delete every old `processed_events` row, whoever planted it. Postgres hands the
 * lock out in order, so a waiting exclusive suite is not starved by later shared ones.
 * The connection ends with the suite (or its worker process), which releases the lock.
 */
export default class SuiteLockEnvironment extends TestEnvironment {
  private readonly alone: boolean;
  private client?: Client;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.alone = ALONE_PRAGMA in context.docblockPragmas;
  }

  override async setup(): Promise<void> {
    await super.setup();
    // The config's own default (libs/config), read here without loading the app's modules.
    const client = new Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', application_name: 'jest suite lock' });
    await client.connect();
    this.client = client;
    await client.query(this.alone ? 'SELECT pg_advisory_lock($1)' : 'SELECT pg_advisory_lock_shared($1)', [SUITES_KEY]);
  }

  override async teardown(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    await super.teardown();
  }
}
