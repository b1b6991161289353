import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seal, unseal } from '../apps/cli/src/backup/sealed-file';
import { main as backupMain } from '../apps/cli/src/db-backup';
import { main as restoreMain } from '../apps/cli/src/db-restore';
import { Client } from 'pg';
import { createDataSource, runMigrationsLocked } from '@spillway/db';
import { testConfig } from './support/env';
import { FauxqsServer } from './support/fauxqs';

/**
 * `npm run db:backup` and `db:restore` for real (pg_dump/pg_restore, the S3 emulator): back a
 * database up, destroy it, restore into an empty one, and find the ledger and events intact, row
 * for row (the built CLIs). Then, with the commands run in this process (where a mutation run sees
 * their code; each case on its own): the newest of three picked, and the refusals: a non-empty
 * target (one holding only an applied migration too), a wrong key, a genuine dump under another
 * name, a changed object, a manifest whose counts the restored rows do not match, the example key,
 * wrong options.
 */
const ROOT = join(__dirname, '..');
const base = testConfig().databaseUrl;
const suffix = randomBytes(3).toString('hex');
const dbUrl = (name: string) => Object.assign(new URL(base), { pathname: `/${name}` }).toString();
const SOURCE = `spillway_backup_src_${suffix}`;
const RESTORED = `spillway_backup_restored_${suffix}`;
const BUCKET = `backups-${suffix}`;
const KEY = randomBytes(32).toString('base64');

function cli(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/cli/src', script), ...args], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/**
 * The same command in this process: its env set for the call, its console captured, an error it
 * throws turned into the one line and exit 1 its `require.main` block gives (db-backup.ts).
 */
async function inProcess(script: 'db-backup.js' | 'db-restore.js', args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let out = '';
  const capture = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
  const log = vi.spyOn(console, 'log').mockImplementation(capture);
  const error = vi.spyOn(console, 'error').mockImplementation(capture);
  try {
    const code = await (script === 'db-backup.js' ? backupMain : restoreMain)(args);
    return { code, out };
  } catch (err) {
    return { code: 1, out: `${out}${script === 'db-backup.js' ? 'db:backup' : 'db:restore'}: ${(err as Error).message}\n` };
  } finally {
    log.mockRestore();
    error.mockRestore();
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

describe('db:backup -> destroy -> db:restore', () => {
  let fauxqs: FauxqsServer;
  const admin = new Client({ connectionString: base });
  let env: Record<string, string>;
  const snapshot = async (url: string) => {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const ledger = (await db.query('SELECT id, type, lane, attempts, processed_at FROM processed_events ORDER BY id')).rows;
      const events = (await db.query('SELECT id, type, lane, event_key, data, received_at FROM events ORDER BY id')).rows;
      return { ledger, events };
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    fauxqs = await FauxqsServer.start();
    const s3 = new S3Client({ region: 'us-east-1', endpoint: fauxqs.url, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();
    env = {
      DATABASE_URL: dbUrl(SOURCE),
      BACKUP_S3_ENDPOINT: fauxqs.url,
      BACKUP_S3_BUCKET: BUCKET,
      BACKUP_ENCRYPTION_KEY: KEY,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    await admin.connect();
    await admin.query(`CREATE DATABASE ${SOURCE}`);
    const source = createDataSource(testConfig({ DATABASE_URL: dbUrl(SOURCE) }));
    await source.initialize();
    await runMigrationsLocked(source);
    // The ledger and the reference handler's rows, as workers write them (same ids in both).
    await source.query(`
      INSERT INTO events (id, type, lane, event_key, data, received_at)
      SELECT 'ev-' || g, 'backup.test', (ARRAY['critical','normal','low'])[1 + g % 3], CASE WHEN g % 2 = 0 THEN 'k' || g END,
             jsonb_build_object('n', g, 'text', repeat('x', g % 50)), now() - g * interval '1 second'
        FROM generate_series(1, 5000) g`);
    await source.query(`INSERT INTO processed_events (id, type, lane, attempts) SELECT id, type, lane, 1 FROM events`);
    await source.destroy();
  }, 60_000);

  afterAll(async () => {
    for (const db of [SOURCE, RESTORED]) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await fauxqs?.stop();
  });

  // The quick in-process cases first: a mutation run stops at the first failing case.
  it('refuses the example key from backup.env.example', async () => {
    const r = await inProcess('db-backup.js', [], { ...env, BACKUP_ENCRYPTION_KEY: 'ZXhhbXBsZS1rZXktY2hhbmdlLW1lLTMyLWJ5dGVzISE=' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('BACKUP_ENCRYPTION_KEY: is the example from backup.env.example');
  });

  it('refuses options it does not know, and says what a restore needs', async () => {
    expect(await inProcess('db-backup.js', ['--evry', '2'], env)).toEqual({ code: 2, out: 'db:backup: unknown option --evry 2; see --help\n' });
    for (const hours of ['0', 'x']) {
      expect(await inProcess('db-backup.js', ['--every', hours], env)).toEqual({ code: 2, out: 'db:backup: --every needs a number of hours; see --help\n' });
    }
    expect(await inProcess('db-backup.js', ['--help'], env)).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: npm run db:backup/) });
    expect(await inProcess('db-restore.js', [], env)).toMatchObject({ code: 2, out: expect.stringMatching(/^usage: npm run db:restore/) });
    expect(await inProcess('db-restore.js', ['--help'], env)).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: npm run db:restore/) });
    expect(await inProcess('db-restore.js', ['--pick', 'latest', '--into', 'postgres://x/y', '--frobnicate'], env)).toEqual({
      code: 2,
      out: 'db:restore: unknown option --frobnicate; see --help\n',
    });
    expect(await inProcess('db-restore.js', ['--into', 'postgres://x/y'], env)).toEqual({
      code: 2,
      out: 'db:restore: name a dump with --pick <key> or --pick latest (see --list)\n',
    });
    expect(await inProcess('db-restore.js', ['--pick', 'nope.dump.aes'], env)).toEqual({
      code: 1,
      out: `db:restore: no dump nope.dump.aes in s3://${BUCKET}/spillway/postgres/ (see --list)\n`,
    });
  });

  it('restores every row of the ledger and the events into an empty database, verified against the dump', async () => {
    const before = await snapshot(dbUrl(SOURCE));
    expect(before.ledger).toHaveLength(5000);

    const backup = await cli('db-backup.js', [], env);
    expect(backup).toMatchObject({ code: 0 });
    expect(backup.out).toMatch(/db:backup: done: spillway\/postgres\/.+\.dump\.aes \(.*events 5000.*processed_events 5000/);

    // What sits in the bucket is ciphertext: no row's content in it.
    const s3 = new S3Client({ region: 'us-east-1', endpoint: fauxqs.url, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const key = /done: (\S+)/.exec(backup.out)![1];
    const stored = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
    expect(stored.includes('backup.test')).toBe(false);
    // The row counts are sealed inside it, not left in metadata anyone with the bucket can edit.
    expect(JSON.stringify((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Metadata ?? {})).not.toContain('processed_events');
    s3.destroy();

    // The database is gone.
    await admin.query(`DROP DATABASE ${SOURCE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${RESTORED}`);

    const list = await cli('db-restore.js', ['--list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toContain(key);
    const restore = await cli('db-restore.js', ['--pick', 'latest', '--into', dbUrl(RESTORED)], env);
    expect(restore.out).toMatch(/db:restore: verified: .*events 5000.*processed_events 5000/);
    expect(restore.code).toBe(0);
    expect(await snapshot(dbUrl(RESTORED))).toEqual(before);
  }, 120_000);

  it('picks the newest of three, and refuses a full target, one with only an applied migration, a wrong key, a genuine dump under another name, a changed object and a planted count', async () => {
    const cli = inProcess;
    const prefix = `three-${suffix}/`;
    const src = `spillway_backup_three_${suffix}`;
    const into = (n: string) => `spillway_backup_into_${n}_${suffix}`;
    const e = { ...env, DATABASE_URL: dbUrl(src), BACKUP_S3_PREFIX: prefix };
    await admin.query(`CREATE DATABASE ${src}`);
    for (const n of ['latest', 'migrated', 'wrongkey', 'swapped', 'changed', 'planted']) await admin.query(`CREATE DATABASE ${into(n)}`);
    const s3 = new S3Client({ region: 'us-east-1', endpoint: fauxqs.url, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const get = async (k: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }))).Body!.transformToByteArray());
    const put = (k: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: body }));
    const empty = async (name: string) => {
      const db = new Client({ connectionString: dbUrl(name) });
      await db.connect();
      const n = (await db.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).rows[0].n;
      await db.end();
      return n === 0;
    };
    try {
      const source = createDataSource(testConfig({ DATABASE_URL: dbUrl(src) }));
      await source.initialize();
      await runMigrationsLocked(source);
      const keys: string[] = [];
      for (const rows of [10, 20, 30]) {
        await source.query(`INSERT INTO processed_events (id, type, lane, attempts) SELECT 'p-' || g, 't', 'normal', 1 FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [rows]);
        const b = await cli('db-backup.js', [], e);
        expect(b.code).toBe(0);
        keys.push(/done: (\S+)/.exec(b.out)![1]);
      }
      await source.destroy();
      expect([...keys].sort()).toEqual(keys);

      const latest = await cli('db-restore.js', ['--pick', 'latest', '--into', dbUrl(into('latest'))], e);
      expect(latest.out).toContain(`downloading ${keys[2]}`);
      expect(latest.out).toMatch(/verified: .*processed_events 30\b/);
      expect(latest.code).toBe(0);
      // --list: oldest first, each with its size and time, then how many.
      const list = await cli('db-restore.js', ['--list'], e);
      expect(list.code).toBe(0);
      const listed = list.out.trim().split('\n');
      expect(listed.map((l) => l.split('\t')[0])).toEqual([...keys, `3 dump(s) in s3://${BUCKET}/${prefix}`]);
      expect(listed[0]).toMatch(/\t0\.\d MiB\t\d{4}-\d\d-\d\dT[\d:.]+Z$/);

      // The target now has tables: a second restore into it is refused before anything is read.
      const intoFull = await cli('db-restore.js', ['--pick', 'latest', '--into', dbUrl(into('latest'))], e);
      expect(intoFull.code).toBe(1);
      expect(intoFull.out).toMatch(/the target database is not empty \(.*events/);
      expect(intoFull.out).not.toContain('downloading');

      // A target whose only table is the migrations table, with one applied migration (as a box's
      // migrate step leaves it): refused as well, and left as it was.
      const migrated = new Client({ connectionString: dbUrl(into('migrated')) });
      await migrated.connect();
      try {
        await migrated.query(`CREATE TABLE spillway_migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`);
        await migrated.query(`INSERT INTO spillway_migrations ("timestamp", name) VALUES (1764230400000, 'Init1764230400000')`);
        const intoMigrated = await cli('db-restore.js', ['--pick', 'latest', '--into', dbUrl(into('migrated'))], e);
        expect(intoMigrated.code).toBe(1);
        expect(intoMigrated.out).toContain('the target database is not empty (spillway_migrations)');
        expect(intoMigrated.out).not.toContain('downloading');
        expect((await migrated.query(`SELECT name FROM spillway_migrations`)).rows).toEqual([{ name: 'Init1764230400000' }]);
        expect((await migrated.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).rows[0].n).toBe(1);
      } finally {
        await migrated.end();
      }

      // Another key: the tag does not check, nothing restored.
      const wrongKey = await cli('db-restore.js', ['--pick', 'latest', '--into', dbUrl(into('wrongkey'))], { ...e, BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.out).toMatch(/does not authenticate/);
      expect(await empty(into('wrongkey'))).toBe(true);

      // The oldest genuine dump, copied under a newer name: it would pass for the latest.
      const newer = `${prefix}2099-01-01T00-00-00-000Z.dump.aes`;
      await put(newer, await get(keys[0]));
      const swapped = await cli('db-restore.js', ['--pick', 'latest', '--into', dbUrl(into('swapped'))], e);
      expect(swapped.code).toBe(1);
      expect(swapped.out).toContain('does not authenticate as 2099-01-01T00-00-00-000Z.dump.aes');
      expect(await empty(into('swapped'))).toBe(true);
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: newer }));

      // One byte changed in the middle of the newest dump.
      const changed = await get(keys[2]);
      changed[Math.floor(changed.length / 2)] ^= 0x40;
      const changedKey = `${prefix}2098-01-01T00-00-00-000Z.dump.aes`;
      await put(changedKey, changed);
      const flipped = await cli('db-restore.js', ['--pick', changedKey, '--into', dbUrl(into('changed'))], e);
      expect(flipped.code).toBe(1);
      expect(flipped.out).toMatch(/does not authenticate/);
      expect(await empty(into('changed'))).toBe(true);
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: changedKey }));

      // A genuine dump of 20 ledger rows, sealed (with the real key) with a manifest saying 21.
      const dir = await mkdtemp(join(tmpdir(), 'planted-'));
      try {
        await writeFile(join(dir, 'a'), await get(keys[1]));
        const m = await unseal(join(dir, 'a'), join(dir, 'plain'), Buffer.from(KEY, 'base64'), keys[1].slice(prefix.length));
        const plantedName = '2097-01-01T00-00-00-000Z.dump.aes';
        await seal(join(dir, 'plain'), join(dir, 'b'), Buffer.from(KEY, 'base64'), { ...m, name: plantedName, counts: { ...m.counts, processed_events: 21 } });
        await put(`${prefix}${plantedName}`, await readFile(join(dir, 'b')));
        const planted = await cli('db-restore.js', ['--pick', plantedName, '--into', dbUrl(into('planted'))], e);
        expect(planted.out).toContain('the row counts differ: processed_events: 21 in the dump -> 20 restored');
        expect(planted.code).toBe(1);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      s3.destroy();
      for (const n of [src, ...['latest', 'migrated', 'wrongkey', 'swapped', 'changed', 'planted'].map(into)]) await admin.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    }
  }, 180_000);

  it('says in one line what is missing', async () => {
    const r = await cli('db-backup.js', [], { ...env, BACKUP_S3_BUCKET: '', BACKUP_ENCRYPTION_KEY: 'short' });
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe(
      'db:backup: BACKUP_S3_BUCKET: required (the bucket that holds the dumps); BACKUP_ENCRYPTION_KEY: 32 bytes in base64 (make one with `openssl rand -base64 32`)',
    );
  });
});
