import { DataSource, QueryRunner } from 'typeorm';
import { loadConfigOrExit } from '@spillway/config';
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
    await keepMigrationsTableToOwner(runner, dataSource.options.migrationsTableName ?? 'migrations');
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * Only the login that owns the migrations table writes it: any other login's INSERT, UPDATE, DELETE
 * or TRUNCATE on it is revoked, SELECT kept (the worker reads it to wait for the schema). The table
 * is made by runMigrations(), as its owner, so it gets whatever the owner's default privileges give
 * (on the box: the worker's write grants, docs/hetzner.md); revoking here, before the migrate step
 * exits and the apps start, means no other login ever holds them, from the first run on. Does nothing
 * when this login does not own the table (it could not revoke the owner's grants) or no one else has
 * them, as with a single login.
 */
async function keepMigrationsTableToOwner(runner: QueryRunner, table: string): Promise<void> {
  const rows: { target: string; grantee: string }[] = await runner.query(
    `SELECT DISTINCT c.oid::regclass::text AS target,
            CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.oid = to_regclass($1)
        AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND a.grantee <> c.relowner
        AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')`,
    [table],
  );
  if (!rows.length) return;
  await runner.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE ${rows[0].target} FROM ${rows.map((r) => r.grantee).join(', ')}`);
}

/**
 * The known migrations not yet applied, oldest first; throws when Postgres cannot answer. Read-only
 * on purpose: TypeORM's showMigrations() creates the migrations table, and a worker doing that
 * while `npm run migrate` works on a fresh database under the lock breaks its CREATE TABLE.
 */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const known = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  const [{ present }] = await dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  if (!present) return known;
  const rows: { name: string }[] = await dataSource.query(`SELECT name FROM "${table}"`);
  const applied = new Set(rows.map((r) => r.name));
  return known.filter((name) => !applied.has(name));
}

/** True once every known migration is applied; false too when Postgres cannot say. */
export async function schemaIsCurrent(dataSource: DataSource): Promise<boolean> {
  return pendingMigrations(dataSource).then(
    (pending) => pending.length === 0,
    () => false,
  );
}

const HELP = `Usage: npm run migrate

Applies pending database migrations to DATABASE_URL under an advisory lock, leaves the migrations
table writable by its owner alone (other logins keep SELECT), then exits. A one-shot
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
