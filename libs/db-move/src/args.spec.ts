import { parseMoveArgs, redact } from './args';
import { poolerReason } from './preflight';
import { describe as progressLine } from './progress';
import { compareChunks } from './verify';

const base = ['--from', 'postgres://u:secret@src/app', '--to', 'postgres://u@rds/app'];

describe('parseMoveArgs', () => {
  it('defaults to dump mode, 4 jobs', () => {
    expect(parseMoveArgs(base)).toMatchObject({ mode: 'dump', jobs: 4, verifyOnly: false, dryRun: false, switchOver: false });
  });
  it.each([
    [[], '--from <postgres url> is required'],
    [['--from', 'postgres://a/b'], '--to <postgres url> is required'],
    [[...base, '--mode', 'copy'], '--mode must be dump or replicate (got "copy")'],
    [[...base, '--jobs', '0'], '--jobs must be a whole number above 0 (got "0")'],
    [[...base, '--switch'], '--switch and --abort belong to --mode replicate'],
    [[...base, '--bogus'], 'unknown option --bogus'],
    [['--from', 'mysql://a:pw@b/c', '--to', 'postgres://x/y'], '--from must be a postgres:// URL (got "mysql://a:***@b/c")'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseMoveArgs(argv as string[])).toThrow(message);
  });
  it('never prints a password', () => {
    expect(redact('postgres://user:p%40ss@host:5432/db')).toBe('postgres://user:***@host:5432/db');
  });

  it('hides a raw @ in the password, a password query parameter, and leaves a URL without one alone', () => {
    expect(redact('postgres://user:p@ss@host:5432/db')).toBe('postgres://user:***@host:5432/db');
    expect(redact('postgres://user@host/db?sslmode=require&password=hunter2')).toBe('postgres://user@host/db?sslmode=require&password=***');
    expect(redact('postgresql://host/db?password=hunter2&sslmode=require')).toBe('postgresql://host/db?password=***&sslmode=require');
    expect(redact('postgres://user@host/db?application_name=a@b')).toBe('postgres://user@host/db?application_name=a@b');
  });
});

describe('poolerReason', () => {
  it('names the transaction pooler port and Supabase pooler hosts, not direct connections', () => {
    expect(poolerReason('postgres://u@db.abc.supabase.co:6543/postgres')).toMatch(/port 6543/);
    expect(poolerReason('postgres://u@aws-0-eu-central-1.pooler.supabase.com:5432/postgres')).toMatch(/Supabase's pooler/);
    expect(poolerReason('postgres://u@db.abc.supabase.co:5432/postgres')).toBeUndefined();
  });
});

describe('progress', () => {
  it('shows rows, rate, share and ETA from the estimate', () => {
    const line = progressLine({ label: 'public.events', estimatedRows: 1000, rows: 250, bytes: 2e6, startedAt: 0 }, 1000);
    expect(line).toBe('public.events: 250 rows of ~1000 (25%), 250 rows/s, 2.0 MB/s, ETA 3 s');
  });
});

describe('compareChunks', () => {
  const t = { schema: 'public', name: 't', columns: ['id'], key: ['id'], replicable: true, estimatedRows: 0, bytes: 0 };
  const chunk = (chunk: number, hash: string, first: string) => ({ chunk, rows: 10, hash, first });
  it('names the first chunk whose hash differs, by its first key', () => {
    expect(compareChunks(t, [chunk(0, 'a', '(1)'), chunk(1, 'b', '(11)')], [chunk(0, 'a', '(1)'), chunk(1, 'x', '(11)')])).toEqual(['table public.t: content differs in rows from key (11)']);
  });
  it('names a count difference and the chunk where it starts', () => {
    expect(compareChunks(t, [chunk(0, 'a', '(1)'), chunk(1, 'b', '(11)')], [chunk(0, 'a', '(1)')])).toEqual([
      'table public.t: 20 rows on the source, 10 on the target',
      'table public.t: content differs in rows from key (11)',
    ]);
  });
  it('finds nothing when every chunk agrees', () => {
    expect(compareChunks(t, [chunk(0, 'a', '(1)')], [chunk(0, 'a', '(1)')])).toEqual([]);
  });
});
