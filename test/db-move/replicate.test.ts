// db:move --mode replicate from a Supabase-like PostgreSQL 15 into 18 (two private clusters with
// wal_level=logical): the application keeps writing during the copy, then the switch catches up,
// sets sequences, verifies and removes the publication and the slot. `npm run build` first.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { databaseAgreement } from '@spillway/db-move';
import { PgCluster, startClusters } from '../support/pg-cluster';
import { testEnv, uniquePrefix, waitFor } from '../support/env';
import { move } from './run-move';
import { supabaseLikeSource } from './supabase-like';

let source: PgCluster;
let target: PgCluster;
let from: string;
let to: string;
const FLAGS = ['--with-auth-users', '--stand-ins', '--mode', 'replicate'];

beforeAll(async () => {
  [source, target] = await startClusters(15, 18);
  from = await supabaseLikeSource(source, 'supa', 20_000);
  to = await target.createDatabase('moved');
}, 120_000);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

describe('db:move --mode replicate', () => {
  it('refuses a table the source could no longer update once published, and a pooler port', async () => {
    const run = await move(['--from', from, '--to', to, ...FLAGS, '--source-url-for-target', from.replace(`:${source.port}/`, ':6543/')]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/public\.audit_log has no primary key or replica identity, so the source would refuse UPDATE and DELETE/);
    expect(run.err).toMatch(/port 6543 is a transaction pooler/);
    expect(await source.sql('supa', 'SELECT pubname FROM pg_publication')).toEqual([]);
  });

  it('replicates while writes go on, then switches: lag 0, sequences, verify, publication and slot removed', async () => {
    await source.sql('supa', 'ALTER TABLE public.audit_log REPLICA IDENTITY FULL');
    expect(await databaseAgreement(from, to)).toMatch(/different databases .* no db:move replication links them/);

    // The link's URL with a password (the clusters trust local logins, so it is not checked): the
    // run warns it lands in the target's catalog, and prints it nowhere.
    const withPassword = Object.assign(new URL(from), { password: 'link-secret-0123' }).toString();
    const started = await move(['--from', from, '--to', to, ...FLAGS, '--source-url-for-target', withPassword]);
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    expect(started.out).toMatch(/warning: the subscription's connection string \(.*:\*\*\*@.*\) keeps the source's password in the target's catalog/);
    expect(started.out + started.err).not.toContain('link-secret-0123');
    expect(started.out).toMatch(/initial copy: 6 of 6 tables ready/);
    expect(started.out).toMatch(/replicating; lag now \d+ bytes. Next: stop writes to the source, then run again with --switch/);

    // the application writes on; changes arrive without any copy step
    await source.sql('supa', `
      INSERT INTO public.orders (profile_id, total) SELECT md5('u1')::uuid, 9.99 FROM generate_series(1, 25);
      UPDATE public.profiles SET mood = 'spiky', tags = ARRAY['moved'] WHERE username::text = 'User3';
      DELETE FROM public.order_lines WHERE order_id = 2;
      DELETE FROM public.audit_log WHERE what = 'duplicate';
      INSERT INTO public.events (kind, at) SELECT 'late', now() FROM generate_series(1, 100);
      SELECT setval('public.invoice_no', 2000);`);
    await waitFor('the update replicated', async () => (await target.sql('moved', `SELECT 1 FROM public.profiles WHERE mood = 'spiky' AND tags = ARRAY['moved']`)).length > 0);
    // caught up, the cutover's database check lets traffic move
    await waitFor('cutover agreement', async () => (await databaseAgreement(from, to)) === undefined, 30_000, 500);

    // writes stopped; the switch
    const switched = await move(['--from', from, '--to', to, ...FLAGS, '--switch']);
    expect(switched.err).toBe('');
    expect(switched.code).toBe(0);
    expect(switched.out).toMatch(/lag 0: the target has every change the source had/);
    expect(switched.out).toMatch(/sequences: 3 set \(public\.events_id_seq=20100, public\.invoice_no=2000, public\.orders_id_seq=5025\)/);
    expect(switched.out).toMatch(/verify ok: 6 tables/);
    expect(switched.out).toMatch(/publication spillway_db_move removed from the source/);

    expect(await source.sql('supa', 'SELECT pubname FROM pg_publication')).toEqual([]);
    expect(await source.sql('supa', 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
    expect(await target.sql('moved', 'SELECT subname FROM pg_subscription')).toEqual([]);
    expect(await target.sql('moved', `SELECT to_regnamespace('spillway_db_move') AS s`)).toEqual([{ s: null }]);
    // sequences are not replicated: the switch set them, so the first insert on the target works
    expect(await target.sql('moved', `INSERT INTO public.orders (total) VALUES (1) RETURNING id`)).toEqual([{ id: '5026' }]);
    // nothing links the two any more: the cutover would refuse to move traffic between them
    expect(await databaseAgreement(from, to)).toMatch(/no db:move replication links them/);
    expect(await databaseAgreement(from, from)).toBeUndefined();
  }, 180_000);

  it('the cutover refuses to move traffic while the two sides use different, unlinked databases', async () => {
    const env = testEnv({ CUTOVER_HETZNER_DATABASE_URL: from, CUTOVER_EKS_DATABASE_URL: to, QUEUE_PREFIX: uniquePrefix('dbmove') });
    const run = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'deploy/cutover.ts', '--to', 'eks', '--dry-run'], { env })
      .then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => err);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/preflight failed:[\s\S]*the sides use different databases \(.*\/supa and .*\/moved\) and no db:move replication links them/);
  }, 60_000);
});
