// pg_dump and psql: pg_dump must be at least the source server's major version (an older one
// refuses, a newer one dumps older servers fine).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ClientTools {
  pgDump: string;
  psql: string;
  major: number;
  version: string;
}

function versionOf(binary: string): { major: number; version: string } | undefined {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const match = /(\d+)(?:\.(\d+))?/.exec(result.stdout ?? '');
  if (result.status !== 0 || !match) return undefined;
  return { major: Number(match[1]), version: result.stdout.trim() };
}

/** Folders that may hold pg_dump: --pg-bin, then PATH, then Debian's /usr/lib/postgresql/N/bin, newest first. */
export function candidateDirs(pgBin?: string): string[] {
  if (pgBin) return [pgBin];
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return [...versions.map((v) => join(debian, v, 'bin')), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
}

/** The newest pg_dump/psql pair found; throws a one-line reason when none can dump the source. */
export function findClientTools(sourceMajor: number, pgBin?: string): ClientTools {
  const found: ClientTools[] = [];
  for (const dir of candidateDirs(pgBin)) {
    const pgDump = join(dir, 'pg_dump');
    const psql = join(dir, 'psql');
    if (!existsSync(pgDump) || !existsSync(psql)) continue;
    const v = versionOf(pgDump);
    if (v) found.push({ pgDump, psql, ...v });
  }
  found.sort((a, b) => b.major - a.major);
  const best = found[0];
  if (!best) throw new Error(`no pg_dump/psql found${pgBin ? ` in ${pgBin}` : ''}: install postgresql-client-${sourceMajor} (or newer), or pass --pg-bin DIR`);
  if (best.major < sourceMajor) {
    throw new Error(`pg_dump ${best.major} (${best.pgDump}) cannot dump a PostgreSQL ${sourceMajor} source: install postgresql-client-${sourceMajor} or newer, or pass --pg-bin DIR`);
  }
  return best;
}
