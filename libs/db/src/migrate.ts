import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../../config/src';
import { createDataSource } from './data-source';

// Any fixed 64-bit number works; all Spillway processes agree on this one.
const MIGRATION_LOCK = 727_001;

/**
 * Runs pending migrations under a session advisory lock, so several replicas starting at once
 * apply each migration exactly once; the others wait, then find nothing to do.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * True once every known migration is applied; workers wait for this instead of migrating. Read-only
 * on purpose: TypeORM's showMigrations() creates the migrations table, and a worker doing that while
 * the absorber migrates a fresh database under the lock breaks the absorber's CREATE TABLE.
 */
export async function schemaIsCurrent(dataSource: DataSource): Promise<boolean> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  try {
    const [{ present }] = await dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
    if (!present) return false;
    const rows: { name: string }[] = await dataSource.query(`SELECT name FROM "${table}"`);
    const applied = new Set(rows.map((r) => r.name));
    return dataSource.migrations.every((m) => applied.has(m.name ?? m.constructor.name));
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  try {
    const applied = await runMigrationsLocked(dataSource);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`migrate: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
