// Connections to the two sides. The source side is read-only by default: a stray write fails there.
import { Client } from 'pg';
import { redact } from './args';

export type Side = 'source' | 'target';

/** Session settings under which row text is the same on every server version (verify hashes it). */
const STABLE_OUTPUT = "-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c bytea_output=hex -c extra_float_digits=1";

export async function connect(url: string, side: Side, options: { readOnly?: boolean; replication?: boolean } = {}): Promise<Client> {
  const readOnly = options.readOnly ?? side === 'source';
  const client = new Client({
    connectionString: url,
    application_name: `spillway-db-move-${side}`,
    options: `${STABLE_OUTPUT}${readOnly ? ' -c default_transaction_read_only=on' : ''}`,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined); // a dropped connection surfaces as the failed query's error
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to the ${side} (${redact(url)}): ${(err as Error).message}; is that server up and the URL right?`, { cause: err });
  }
  return client;
}

export async function withClient<T>(url: string, side: Side, fn: (c: Client) => Promise<T>, options?: { readOnly?: boolean }): Promise<T> {
  const client = await connect(url, side, options);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** "schema"."name", quoted for SQL. */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export async function serverMajor(client: Client): Promise<number> {
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Math.floor(Number(rows[0].v) / 10000);
}
