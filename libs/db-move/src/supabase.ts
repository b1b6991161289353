// Supabase's own schemas and roles: a plain dump drags them along and RDS has none of them.

/** Schemas Supabase (and its extensions) create and manage; never copied. */
export const SUPABASE_SCHEMAS = [
  'auth', 'storage', 'realtime', '_realtime', 'extensions', 'graphql', 'graphql_public', 'vault', 'pgsodium',
  'pgsodium_masks', 'supabase_functions', 'supabase_migrations', 'cron', 'pgmq', 'pgmq_public', 'analytics',
  '_analytics', 'net', 'pgbouncer', 'pgtle', '_supavisor', 'supabase_admin',
];

/** Roles Supabase creates; policies name the first three. */
export const SUPABASE_ROLES = ['anon', 'authenticated', 'service_role'];

/** Detection: Supabase projects have an auth schema with users and its API roles. */
export const DETECT_SQL = `
  SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'auth')
     AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'auth' AND c.relname = 'users')
     AND (SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')) = 3 AS supabase`;

/**
 * Stand-ins for what Supabase's API layer provides and policies reference: its roles (no login, so
 * nobody can use them to connect) and auth.uid()/auth.role()/auth.jwt(), which read the JWT claims
 * the same way Supabase's do (PostgREST sets request.jwt.claims per request). With no claims set
 * they return NULL, so policies written for Supabase deny, not allow.
 */
export const STAND_INS_SQL = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS
  $f$ SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''), nullif(current_setting('request.jwt.claims', true), ''))::jsonb $f$;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
  $f$ SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $f$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $f$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text $f$;
CREATE OR REPLACE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS
  $f$ SELECT coalesce(nullif(current_setting('request.jwt.claim.email', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'))::text $f$;
`;

/** Functions the stand-ins provide: a policy using only these needs no other stand-in. */
export const STAND_IN_FUNCTIONS = ['auth.jwt', 'auth.uid', 'auth.role', 'auth.email'];
