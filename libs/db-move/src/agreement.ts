// For the cutover's preflight: traffic may move only when both sides write to one database, or,
// during a db:move in replicate mode, when the old side's database has no lag towards the new one.
import { Client } from 'pg';
import { redact } from './args';
import { REPLICATION_NAME } from './replicate';

async function identity(url: string): Promise<{ system: string; database: string; client: Client }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  // the cluster's system identifier tells one server from another whatever host name reaches it
  const system = await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()').then((r) => r.rows[0].id, () => new URL(url).host);
  const database = (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
  return { system, database, client };
}

/** Undefined when both URLs reach one database or a caught-up db:move links them; else why not. */
export async function databaseAgreement(oldUrl: string, newUrl: string): Promise<string | undefined> {
  const [a, b] = await Promise.all([identity(oldUrl), identity(newUrl)]);
  try {
    if (a.system === b.system && a.database === b.database) return undefined;
    const { rows } = await a.client.query(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag FROM pg_replication_slots WHERE slot_name = $1`,
      [REPLICATION_NAME],
    );
    const why = `the sides use different databases (${redact(oldUrl)} and ${redact(newUrl)})`;
    if (!rows.length) return `${why} and no db:move replication links them: run npm run db:move first`;
    if (Number(rows[0].lag) > 0) return `${why} and the db:move replication is ${rows[0].lag} bytes behind: stop writes and run npm run db:move -- --mode replicate --switch`;
    return undefined;
  } finally {
    await Promise.all([a.client.end().catch(() => undefined), b.client.end().catch(() => undefined)]);
  }
}
