import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpKey, dumpName, expired, listDumps, remove, s3For, upload } from './backup/object-store';
import { dumpWithCounts } from './backup/postgres-dump';
import { seal } from './backup/sealed-file';
import { BackupSettings, loadBackupSettings } from './backup/settings';

const HELP = `usage: npm run db:backup [-- --every <hours>]

Dumps the database (DATABASE_URL) with pg_dump, encrypts the dump (AES-256-GCM, key
BACKUP_ENCRYPTION_KEY), uploads it to S3-compatible object storage (BACKUP_S3_BUCKET, BACKUP_S3_PREFIX,
BACKUP_S3_ENDPOINT, BACKUP_S3_REGION; credentials AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), then
deletes dumps older than BACKUP_RETENTION_DAYS (default 30), always keeping the newest
BACKUP_KEEP_MIN (default 7). The row count of every table, taken in the dump's own snapshot, is
sealed inside it; npm run db:restore checks the restored database against it.

  --every <hours>  keep running: one backup now, then one every <hours> (the compose backup service)
  --help           this text`;

/** One backup; returns the object key. */
export async function backupOnce(s: BackupSettings, log: (l: string) => void): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spillway-backup-'));
  const s3 = s3For(s);
  try {
    const at = new Date();
    const key = dumpKey(s, at);
    log('db:backup: dumping the database (pg_dump, one snapshot)');
    const counts = await dumpWithCounts(s.databaseUrl, join(dir, 'dump'));
    log('db:backup: encrypting');
    await seal(join(dir, 'dump'), join(dir, 'dump.aes'), s.key, { name: dumpName(key), takenAt: at.toISOString(), counts });
    await rm(join(dir, 'dump'));
    log(`db:backup: uploading s3://${s.bucket}/${key}`);
    await upload(s3, s, key, join(dir, 'dump.aes'));
    const old = expired(await listDumps(s3, s), s);
    for (const d of old) await remove(s3, s, d.key);
    const rows = Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ');
    log(`db:backup: done: ${key} (${rows || 'no tables'}); ${old.length} dump(s) past ${s.retentionDays} days deleted`);
    return key;
  } finally {
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The command itself (exported so a test can run it in-process, where a mutation run sees it). */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const i = argv.indexOf('--every');
  const hours = i >= 0 ? Number(argv[i + 1]) : undefined;
  const unknown = argv.filter((a, j) => a !== '--every' && !(i >= 0 && j === i + 1));
  if (unknown.length || (hours !== undefined && !(hours > 0))) {
    console.error(`db:backup: ${unknown.length ? `unknown option ${unknown.join(' ')}` : '--every needs a number of hours'}; see --help`);
    return 2;
  }
  const settings = loadBackupSettings();
  if (hours === undefined) {
    await backupOnce(settings, console.log);
    return 0;
  }
  for (;;) {
    // A failed round is reported and retried at the next one; the service keeps running.
    await backupOnce(settings, console.log).catch((err: Error) => console.error(`db:backup: failed: ${err.message}`));
    await new Promise((r) => setTimeout(r, hours * 3_600_000));
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      console.error(`db:backup: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
