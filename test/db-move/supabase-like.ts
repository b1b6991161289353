// A source shaped like a Supabase project: its schemas and roles, auth.users and auth.uid(), policies
// that use them, extensions in the `extensions` schema, and the column types a dump can get wrong.
import { PgCluster } from '../support/pg-cluster';

export const SCHEMA_SQL = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
END $$;
CREATE SCHEMA auth; CREATE SCHEMA extensions; CREATE SCHEMA storage; CREATE SCHEMA supabase_migrations; CREATE SCHEMA graphql;
CREATE EXTENSION citext WITH SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text UNIQUE, raw_user_meta_data jsonb, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE auth.sessions (id uuid PRIMARY KEY, user_id uuid REFERENCES auth.users(id));
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE TABLE storage.objects (id uuid PRIMARY KEY, name text);
CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY);
CREATE FUNCTION graphql.resolve() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;

CREATE TYPE public.mood AS ENUM ('calm', 'busy', 'spiky');
CREATE TABLE public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users(id) ON DELETE CASCADE,
  username extensions.citext UNIQUE NOT NULL,
  mood public.mood,
  settings jsonb,
  avatar bytea,
  tags text[],
  scores int[],
  display text GENERATED ALWAYS AS (upper(username::text)) STORED
);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON public.profiles FOR ALL TO authenticated USING (id = auth.uid()) WITH CHECK (id = auth.uid());
CREATE POLICY read_all ON public.profiles FOR SELECT TO anon USING (true);
CREATE TABLE public.orders (
  id bigserial PRIMARY KEY,
  profile_id uuid REFERENCES public.profiles(id),
  token text NOT NULL DEFAULT encode(extensions.gen_random_bytes(8), 'hex'),
  total numeric(12,2),
  ratio float8,
  placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_profile ON public.orders (profile_id);
CREATE TABLE public.order_lines (order_id bigint REFERENCES public.orders(id), line int, sku text NOT NULL, qty int CHECK (qty > 0), PRIMARY KEY (order_id, line));
CREATE TABLE public.audit_log (at timestamptz, what text, detail jsonb);
CREATE TABLE public.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, payload jsonb, at timestamptz NOT NULL);
CREATE SEQUENCE public.invoice_no START 1000;
`;

/** Values that trip up text formats: newlines, tabs, backslashes, quotes, NULLs, zero bytes, unicode. */
export const DATA_SQL = (events: number) => `
INSERT INTO auth.users (id, email, raw_user_meta_data)
  SELECT md5('u' || i)::uuid, 'user' || i || '@example.com', jsonb_build_object('n', i, 'name', E'line\\nbreak \\t tab "q" \\\\ é')
  FROM generate_series(1, 300) i;
INSERT INTO auth.sessions SELECT md5('s' || i)::uuid, md5('u' || i)::uuid FROM generate_series(1, 50) i;
INSERT INTO storage.objects VALUES (md5('o')::uuid, 'avatar.png');
INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000');
INSERT INTO public.profiles (id, username, mood, settings, avatar, tags, scores)
  SELECT md5('u' || i)::uuid, 'User' || i, (ARRAY['calm', 'busy', 'spiky', NULL])[1 + i % 4]::mood,
         CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('theme', 'dark', 'nested', jsonb_build_object('a', ARRAY[i, i + 1]), 'text', E'tab\\there') END,
         CASE WHEN i % 3 = 0 THEN NULL ELSE decode(lpad(to_hex(i), 8, '0') || '00ff5c0a', 'hex') END,
         ARRAY['a', E'b\\nc', NULL, 'd"e', E'back\\\\slash'], ARRAY[i, NULL, -i]
  FROM generate_series(1, 300) i;
INSERT INTO public.orders (profile_id, total, ratio)
  SELECT md5('u' || (1 + i % 300))::uuid, round((i * 1.37)::numeric, 2), i / 7.0 FROM generate_series(1, 5000) i;
INSERT INTO public.order_lines SELECT 1 + i / 3, i % 3, 'sku-' || i, 1 + i % 9 FROM generate_series(0, 14999) i;
INSERT INTO public.audit_log SELECT '2026-01-01'::timestamptz + i * interval '1 minute', 'login', jsonb_build_object('i', i % 100) FROM generate_series(1, 3000) i;
INSERT INTO public.audit_log SELECT '2026-01-01', 'duplicate', '{}' FROM generate_series(1, 3);
INSERT INTO public.events (kind, payload, at)
  SELECT (ARRAY['click', 'view', 'buy'])[1 + i % 3], jsonb_build_object('i', i, 'v', i * 0.5), '2026-01-01'::timestamptz + i * interval '1 second'
  FROM generate_series(1, ${events}) i;
SELECT setval('public.invoice_no', 1234);
ANALYZE;
`;

export const TABLES = ['public.profiles', 'public.orders', 'public.order_lines', 'public.audit_log', 'public.events'];

/** Creates database `name` on the cluster and fills it; returns its URL. */
export async function supabaseLikeSource(cluster: PgCluster, name: string, events: number): Promise<string> {
  const url = await cluster.createDatabase(name);
  await cluster.sql(name, SCHEMA_SQL);
  await cluster.sql(name, DATA_SQL(events));
  return url;
}
