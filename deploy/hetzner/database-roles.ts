// The box's Postgres logins, one per service, each with only what it needs. The superuser
// (`dependencies.postgres.user`) is used by the one-shot `db-roles` step alone, which runs the SQL
// rendered here with psql before `migrate`. Passwords never appear in it: psql reads each from the
// db-roles container's environment (\getenv), which comes from its own secret file.
import { ComposeDefinition } from '../model/definition';

export interface DatabaseRole {
  /** The compose service that logs in as this role (its DATABASE_URL / DATA_SOURCE_NAME user). */
  service: string;
  role: string;
  /** Env name of its password in db-roles.env. */
  passwordEnv: string;
  /** What it may do, for docs and the header of the SQL. */
  grants: string;
}

/** Where the rendered SQL and the Redis ACL start script are written (mounted read-only). */
export const BOX_ACCESS_FILES = {
  dir: 'deploy/hetzner/rendered',
  rolesSql: 'deploy/hetzner/rendered/db-roles.sql',
  redisAcl: 'deploy/hetzner/rendered/redis-acl.sh',
} as const;

export const DB_ROLES_SERVICE = 'db-roles';

export function databaseRoles(def: ComposeDefinition): DatabaseRole[] {
  const u = def.dependencies.postgres.user;
  return [
    { service: 'migrate', role: `${u}_migrate`, passwordEnv: 'MIGRATE_DB_PASSWORD', grants: 'owns the public schema and every table in it (runs the migrations)' },
    { service: 'worker', role: `${u}_worker`, passwordEnv: 'WORKER_DB_PASSWORD', grants: 'SELECT, INSERT, UPDATE, DELETE on the tables; SELECT on the migrations table; sequences' },
    { service: 'backup', role: `${u}_backup`, passwordEnv: 'BACKUP_DB_PASSWORD', grants: 'SELECT on every table and sequence (pg_dump)' },
    { service: 'postgres-exporter', role: `${u}_exporter`, passwordEnv: 'EXPORTER_DB_PASSWORD', grants: 'pg_monitor only' },
  ];
}

const MIGRATIONS_TABLE = 'spillway_migrations';

/** The SQL `db-roles` runs on every `up`: idempotent, so it also re-sets changed passwords. */
export function renderRolesSql(def: ComposeDefinition): string {
  const pg = def.dependencies.postgres;
  const roles = databaseRoles(def);
  const [migrate, worker, backup, exporter] = roles;
  const db = `"${pg.database}"`;
  const lines = [
    `-- Rendered by \`npm run synth\` from deploy/spillway.ts (deploy/hetzner/database-roles.ts).`,
    `-- Run by the db-roles step as ${pg.user}: psql -f this file, passwords in its environment.`,
    ...roles.map((r) => `--   ${r.role} (${r.service}): ${r.grants}`),
    `-- The absorber has no login: it keeps everything in Redis on the box.`,
    `\\set ON_ERROR_STOP on`,
    ...roles.flatMap((r) => {
      const v = r.passwordEnv.toLowerCase();
      const refuse = (why: string) => `DO $$ BEGIN RAISE EXCEPTION '${r.passwordEnv}: ${why} in db-roles.env'; END $$;`;
      return [
        `\\getenv ${v} ${r.passwordEnv}`,
        `\\if :{?${v}}`,
        `SELECT length(:'${v}') >= 16 AS ${v}_ok \\gset`,
        `\\if :${v}_ok`,
        `\\else`,
        refuse('under 16 characters'),
        `\\endif`,
        `\\else`,
        refuse('not set'),
        `\\endif`,
      ];
    }),
    `BEGIN;`,
    ...roles.map(
      (r) =>
        `SELECT format('CREATE ROLE %I', '${r.role}') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${r.role}') \\gexec\n` +
        `ALTER ROLE ${r.role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'${r.passwordEnv.toLowerCase()}';`,
    ),
    `ALTER ROLE ${exporter.role} INHERIT;`,
    `GRANT pg_monitor TO ${exporter.role};`,
    `-- Only these roles connect; nobody but the owner creates in the schema.`,
    `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
    `GRANT CONNECT ON DATABASE ${db} TO ${roles.map((r) => r.role).join(', ')};`,
    `REVOKE ALL ON SCHEMA public FROM PUBLIC;`,
    `ALTER SCHEMA public OWNER TO ${migrate.role};`,
    `GRANT USAGE ON SCHEMA public TO ${worker.role}, ${backup.role};`,
    `-- Tables made before these roles existed (by ${pg.user}) pass to the migrate role.`,
    `SELECT format('ALTER TABLE public.%I OWNER TO ${migrate.role}', tablename) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> '${migrate.role}' \\gexec`,
    `SELECT format('ALTER SEQUENCE public.%I OWNER TO ${migrate.role}', sequencename) FROM pg_sequences WHERE schemaname = 'public' AND sequenceowner <> '${migrate.role}' \\gexec`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${worker.role};`,
    `-- The migrations table is read-only to the worker. migrate revokes the default privileges' writes`,
    `-- on it when it makes it (the first \`up\`); this covers a table restored or made before the roles.`,
    `SELECT format('REVOKE INSERT, UPDATE, DELETE ON public.%I FROM ${worker.role}', '${MIGRATIONS_TABLE}') WHERE to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL \\gexec`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${worker.role};`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${backup.role};`,
    `GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${backup.role};`,
    `-- What later migrations create, as ${migrate.role}, gets the same grants.`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrate.role} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${worker.role};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrate.role} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${worker.role};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrate.role} IN SCHEMA public GRANT SELECT ON TABLES TO ${backup.role};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrate.role} IN SCHEMA public GRANT SELECT ON SEQUENCES TO ${backup.role};`,
    `COMMIT;`,
  ];
  return `${lines.join('\n')}\n`;
}
