-- Rendered by `npm run synth` from deploy/spillway.ts (deploy/hetzner/database-roles.ts).
-- Run by the db-roles step as spillway: psql -f this file, passwords in its environment.
--   spillway_migrate (migrate): owns the public schema and every table in it (runs the migrations)
--   spillway_worker (worker): SELECT, INSERT, UPDATE, DELETE on the tables; SELECT on the migrations table; sequences
--   spillway_backup (backup): SELECT on every table and sequence (pg_dump)
--   spillway_exporter (postgres-exporter): pg_monitor only
-- The absorber has no login: it keeps everything in Redis on the box.
\set ON_ERROR_STOP on
\getenv migrate_db_password MIGRATE_DB_PASSWORD
\if :{?migrate_db_password}
SELECT length(:'migrate_db_password') >= 16 AS migrate_db_password_ok \gset
\if :migrate_db_password_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'MIGRATE_DB_PASSWORD: under 16 characters in db-roles.env'; END $$;
\endif
\else
DO $$ BEGIN RAISE EXCEPTION 'MIGRATE_DB_PASSWORD: not set in db-roles.env'; END $$;
\endif
\getenv worker_db_password WORKER_DB_PASSWORD
\if :{?worker_db_password}
SELECT length(:'worker_db_password') >= 16 AS worker_db_password_ok \gset
\if :worker_db_password_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'WORKER_DB_PASSWORD: under 16 characters in db-roles.env'; END $$;
\endif
\else
DO $$ BEGIN RAISE EXCEPTION 'WORKER_DB_PASSWORD: not set in db-roles.env'; END $$;
\endif
\getenv backup_db_password BACKUP_DB_PASSWORD
\if :{?backup_db_password}
SELECT length(:'backup_db_password') >= 16 AS backup_db_password_ok \gset
\if :backup_db_password_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'BACKUP_DB_PASSWORD: under 16 characters in db-roles.env'; END $$;
\endif
\else
DO $$ BEGIN RAISE EXCEPTION 'BACKUP_DB_PASSWORD: not set in db-roles.env'; END $$;
\endif
\getenv exporter_db_password EXPORTER_DB_PASSWORD
\if :{?exporter_db_password}
SELECT length(:'exporter_db_password') >= 16 AS exporter_db_password_ok \gset
\if :exporter_db_password_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'EXPORTER_DB_PASSWORD: under 16 characters in db-roles.env'; END $$;
\endif
\else
DO $$ BEGIN RAISE EXCEPTION 'EXPORTER_DB_PASSWORD: not set in db-roles.env'; END $$;
\endif
BEGIN;
SELECT format('CREATE ROLE %I', 'spillway_migrate') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'spillway_migrate') \gexec
ALTER ROLE spillway_migrate WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'migrate_db_password';
SELECT format('CREATE ROLE %I', 'spillway_worker') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'spillway_worker') \gexec
ALTER ROLE spillway_worker WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'worker_db_password';
SELECT format('CREATE ROLE %I', 'spillway_backup') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'spillway_backup') \gexec
ALTER ROLE spillway_backup WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'backup_db_password';
SELECT format('CREATE ROLE %I', 'spillway_exporter') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'spillway_exporter') \gexec
ALTER ROLE spillway_exporter WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'exporter_db_password';
ALTER ROLE spillway_exporter INHERIT;
GRANT pg_monitor TO spillway_exporter;
-- Only these roles connect; nobody but the owner creates in the schema.
REVOKE ALL ON DATABASE "spillway" FROM PUBLIC;
GRANT CONNECT ON DATABASE "spillway" TO spillway_migrate, spillway_worker, spillway_backup, spillway_exporter;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO spillway_migrate;
GRANT USAGE ON SCHEMA public TO spillway_worker, spillway_backup;
-- Tables made before these roles existed (by spillway) pass to the migrate role.
SELECT format('ALTER TABLE public.%I OWNER TO spillway_migrate', tablename) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'spillway_migrate' \gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO spillway_migrate', sequencename) FROM pg_sequences WHERE schemaname = 'public' AND sequenceowner <> 'spillway_migrate' \gexec
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO spillway_worker;
-- The migrations table is read-only to the worker. migrate revokes the default privileges' writes
-- on it when it makes it (the first `up`); this covers a table restored or made before the roles.
SELECT format('REVOKE INSERT, UPDATE, DELETE ON public.%I FROM spillway_worker', 'spillway_migrations') WHERE to_regclass('public.spillway_migrations') IS NOT NULL \gexec
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO spillway_worker;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO spillway_backup;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO spillway_backup;
-- What later migrations create, as spillway_migrate, gets the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE spillway_migrate IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO spillway_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE spillway_migrate IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO spillway_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE spillway_migrate IN SCHEMA public GRANT SELECT ON TABLES TO spillway_backup;
ALTER DEFAULT PRIVILEGES FOR ROLE spillway_migrate IN SCHEMA public GRANT SELECT ON SEQUENCES TO spillway_backup;
COMMIT;
