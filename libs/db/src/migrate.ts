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

const HELP = `Usage: npm run migrate

Applies pending database migrations to DATABASE_URL under an advisory lock, then exits. A one-shot
step that runs before the apps on every target: the compose service \`migrate\`, the Kubernetes Job
\`<name>-migrate-<image hash>\`, and \`npm run dev\`. Neither app migrates by itself.
Exit codes: 0 schema up to date, 1 failed (one line says why), 78 invalid configuration.`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
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
    const code = (err as { code?: string }).code;
    const hint = code === 'ECONNREFUSED' ? ' (is Postgres running at DATABASE_URL?)' : '';
    process.stderr.write(`migrate: ${(err as Error).message}${hint}\n`);
    process.exit(1);
  });
}
