import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download, dumpName, listDumps, s3For } from './backup/object-store';
import { countMismatches, existingTables, restoreInto, rowCounts } from './backup/postgres-dump';
import { unseal } from './backup/sealed-file';
import { loadBackupSettings } from './backup/settings';

const HELP = `usage: npm run db:restore -- --list
       npm run db:restore -- --pick <key|latest> [--into <postgres url>]

--list shows the dumps in BACKUP_S3_BUCKET under BACKUP_S3_PREFIX, oldest first.
--pick downloads one (latest: the newest by name), decrypts it with BACKUP_ENCRYPTION_KEY into a
temporary file kept only once the AES-256-GCM tag checks (a changed object, or a dump stored under
another name or time, fails here), restores it with pg_restore into an EMPTY database (--into,
default DATABASE_URL; it refuses one that has tables), then compares every table's row count with
the counts sealed inside the dump at backup time. Exits non-zero on any difference.`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The command itself (exported so a test can run it in-process, where a mutation run sees it). */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    console.log(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  const known = ['--list', '--pick', '--into'];
  const unknown = argv.filter((a, j) => a.startsWith('--') && !known.includes(a) && !['--pick', '--into'].includes(argv[j - 1]));
  if (unknown.length) {
    console.error(`db:restore: unknown option ${unknown.join(' ')}; see --help`);
    return 2;
  }
  const s = loadBackupSettings();
  const s3 = s3For(s);
  try {
    const dumps = await listDumps(s3, s);
    if (argv.includes('--list')) {
      for (const d of dumps) console.log(`${d.key}\t${(d.size / 1048576).toFixed(1)} MiB\t${d.lastModified.toISOString()}`);
      console.log(`${dumps.length} dump(s) in s3://${s.bucket}/${s.prefix}`);
      return 0;
    }
    const pick = flag(argv, '--pick');
    if (!pick) {
      console.error('db:restore: name a dump with --pick <key> or --pick latest (see --list)');
      return 2;
    }
    const chosen = pick === 'latest' ? dumps.at(-1) : dumps.find((d) => d.key === pick || d.key === `${s.prefix}${pick}`);
    if (!chosen) {
      console.error(`db:restore: no dump ${pick} in s3://${s.bucket}/${s.prefix} (see --list)`);
      return 1;
    }
    const into = flag(argv, '--into') ?? s.databaseUrl;
    const tables = await existingTables(into);
    if (tables.length) {
      console.error(`db:restore: the target database is not empty (${tables.slice(0, 5).join(', ')}); restore into a new one (createdb) and point --into at it`);
      return 1;
    }
    const dir = await mkdtemp(join(tmpdir(), 'spillway-restore-'));
    let expected: Record<string, number>;
    try {
      console.log(`db:restore: downloading ${chosen.key}`);
      await download(s3, s, chosen.key, join(dir, 'dump.aes'));
      console.log('db:restore: decrypting and checking its tag');
      expected = (await unseal(join(dir, 'dump.aes'), join(dir, 'dump'), s.key, dumpName(chosen.key))).counts;
      console.log('db:restore: pg_restore (one transaction)');
      await restoreInto(into, join(dir, 'dump'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const got = await rowCounts(into);
    const wrong = countMismatches(expected, got);
    if (wrong.length) {
      console.error(`db:restore: restored, but the row counts differ: ${wrong.join('; ')}`);
      return 1;
    }
    console.log(`db:restore: verified: ${Object.entries(got).map(([t, n]) => `${t} ${n}`).join(', ')} rows, as at backup time`);
    return 0;
  } finally {
    s3.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      console.error(`db:restore: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
