// db:move in dump mode from a Supabase-like PostgreSQL 15 into PostgreSQL 18, two real private
// clusters started here. The source database is made read-only after it is filled: any write the
// move attempted there would fail the run. One table holds 1M rows (`npm run build` first).
import { PgCluster, startClusters } from '../support/pg-cluster';
import { waitFor } from '../support/env';
import { move, startMove } from './run-move';
import { supabaseLikeSource } from './supabase-like';

const EVENTS = 1_000_000;
const FLAGS = ['--with-auth-users', '--stand-ins'];
let source: PgCluster;
let target: PgCluster;
let from: string;

beforeAll(async () => {
  [source, target] = await startClusters(15, 18);
  from = await supabaseLikeSource(source, 'supa', EVENTS);
  await source.sql('postgres', 'ALTER DATABASE supa SET default_transaction_read_only = on');
}, 300_000);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

const count = async (db: string, table: string) => Number((await target.sql<{ n: string }>(db, `SELECT count(*) AS n FROM ${table}`))[0].n);

describe('db:move --mode dump', () => {
  it('refuses before writing anything, naming what the target lacks', async () => {
    const to = await target.createDatabase('refused');
    const run = await move(['--from', from, '--to', to]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/profiles_id_fkey .* uses table auth\.users.*add --with-auth-users/);
    expect(run.err).toMatch(/own_profile .* uses function auth\.uid.*add --stand-ins/);
    expect(run.err).toMatch(/policies name role anon, missing on the target/);
    expect(run.err).toMatch(/policies name role authenticated, missing on the target/);
    const left = await target.sql('refused', `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')`);
    expect(left).toEqual([]);

    const dry = await move(['--from', from, '--to', to, ...FLAGS, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/preflight ok: source PostgreSQL 15, target 18, pg_dump \(PostgreSQL\) 15\.\d+.*; 6 tables, 3 sequences, extensions: citext, pgcrypto/);
    expect(dry.out).toMatch(/dry run, nothing changed/);
    expect(await target.sql('refused', `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')`)).toEqual([]);
  });

  it('copies schema and data, sets sequences, verifies, and leaves Supabase internals behind', async () => {
    const to = await target.createDatabase('moved');
    const run = await move(['--from', from, '--to', to, ...FLAGS, '--jobs', '3']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/copied public\.events: 1000000 rows, \d+ rows\/s, [\d.]+ MB\/s/);
    expect(run.out).toMatch(/verify ok: 6 tables, 1023603 rows/);
    expect(run.out).toMatch(/no primary key .*public\.audit_log/);

    const schemas = (await target.sql<{ n: string }>('moved', `SELECT nspname AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1`)).map((r) => r.n);
    expect(schemas).toEqual(['auth', 'extensions', 'information_schema', 'public']); // no storage, graphql, supabase_migrations, no bookkeeping
    expect(await count('moved', 'auth.users')).toBe(300);
    expect(await target.sql('moved', `SELECT to_regclass('auth.sessions') AS t`)).toEqual([{ t: null }]);

    // every awkward value arrives as it was (row text compared across 15 and 18)
    const row = `SELECT p::text AS t FROM public.profiles p WHERE username::text = 'User7'`;
    const [a, b] = [await source.sql<{ t: string }>('supa', row), await target.sql<{ t: string }>('moved', row)];
    expect(b[0].t).toBe(a[0].t);
    expect(b[0].t).toContain('USER7'); // the generated column, computed on the target

    const policies = await target.sql('moved', `SELECT polname, pg_get_expr(polqual, polrelid) AS q FROM pg_policy ORDER BY 1`);
    expect(policies).toEqual([{ polname: 'own_profile', q: '(id = auth.uid())' }, { polname: 'read_all', q: 'true' }]);
    expect(await target.sql('moved', `SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY 1`))
      .toEqual([{ rolname: 'anon', rolcanlogin: false }, { rolname: 'authenticated', rolcanlogin: false }, { rolname: 'service_role', rolcanlogin: false }]);

    // the first inserts after the move do not collide: sequences are past their columns
    expect(await target.sql('moved', `INSERT INTO public.orders (total) VALUES (1) RETURNING id`)).toEqual([{ id: '5001' }]);
    expect(await target.sql('moved', `INSERT INTO public.events (kind, at) VALUES ('x', now()) RETURNING id`)).toEqual([{ id: String(EVENTS + 1) }]);
    expect(await target.sql('moved', `SELECT nextval('public.invoice_no') AS v`)).toEqual([{ v: '1235' }]);
    await target.sql('moved', `DELETE FROM public.orders WHERE id = 5001; DELETE FROM public.events WHERE id = ${EVENTS + 1}; SELECT setval('public.invoice_no', 1234)`);
  }, 300_000);

  it('--verify-only exits 3 naming each planted difference', async () => {
    await target.sql('moved', `
      UPDATE public.events SET kind = 'tampered' WHERE id = 777777;
      DELETE FROM public.audit_log WHERE ctid = (SELECT ctid FROM public.audit_log WHERE what = 'duplicate' LIMIT 1);
      DROP POLICY read_all ON public.profiles;
      DROP INDEX public.orders_profile;
      SELECT setval('public.orders_id_seq', 10);`);
    const run = await move(['--from', from, '--to', target.url('moved'), '--verify-only', '--with-auth-users']);
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/verify found 6 difference/);
    expect(run.err).toContain('table public.events: content differs in rows from key (750001)');
    expect(run.err).toContain('table public.audit_log: 3003 rows on the source, 3002 on the target');
    expect(run.err).toContain('policy public.profiles.read_all: missing on the target');
    expect(run.err).toContain('index public.orders_profile: missing on the target');
    expect(run.err).toContain('sequence public.orders_id_seq: target at 10, source at 5000');
    expect(run.err).toMatch(/table public\.audit_log: content differs in rows 1-50000 in row-hash order/);
  }, 120_000);

  it('an interrupted copy resumes: finished tables are kept, the interrupted one starts over', async () => {
    const to = await target.createDatabase('resumed');
    const first = startMove(['--from', from, '--to', to, ...FLAGS, '--jobs', '2']);
    // cut the target connection that is filling public.events once the other tables are complete
    const pid = await waitFor('events half-copied, the rest complete', async () => {
      const done = await target.sql<{ n: number }>('resumed', `SELECT count(*)::int AS n FROM spillway_db_move.copied`).catch(() => [{ n: 0 }]);
      const copying = await target.sql<{ pid: number; n: string }>('resumed',
        `SELECT p.pid, p.tuples_processed AS n FROM pg_stat_progress_copy p WHERE p.relid = to_regclass('public.events')`);
      return done[0].n === 5 && copying.length && Number(copying[0].n) > 0 ? copying[0].pid : undefined;
    }, 120_000, 50);
    await target.sql('postgres', 'SELECT pg_terminate_backend($1)', [pid]);
    const broken = await first.done;
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/copying public\.events failed after \d+ rows: .*run again to resume; this table starts over/);
    expect(await count('resumed', 'public.events')).toBe(0);
    expect(await count('resumed', 'public.order_lines')).toBe(15000);

    const again = await move(['--from', from, '--to', to, ...FLAGS]);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/resuming: 5 table\(s\) already complete on the target/);
    expect(again.out).toMatch(/schema pre-data: already on the target/);
    expect(again.out).not.toMatch(/copied public\.order_lines/);
    expect(again.out).toMatch(/copied public\.events: 1000000 rows/);
    expect(again.out).toMatch(/verify ok/);
  }, 300_000);
});
