// pg_dump and pg_restore around a snapshot: the row counts stored with a dump are taken in the
// same snapshot pg_dump reads (pg_export_snapshot), so a restore can be checked table by table even
// while the box keeps writing during the dump.
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { toolInvocation } from '@spillway/db-move/password-env';
import { RowCounts } from './object-store';

/**
 * Runs a Postgres client tool, the password of its `--dbname` URL in PGPASSWORD; a non-zero exit
 * throws with the end of its stderr.
 */
function tool(cmd: string, urlArgs: string[]): Promise<void> {
  const { args, env } = toolInvocation(urlArgs);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    child.on('error', (e) => reject(new Error(`${cmd} could not start (${e.message}); install the PostgreSQL client tools`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed (exit ${code}): ${err.trim().split('\n').at(-1)}`))));
  });
}

/** Tables of the public schema, each with its row count, as this client's snapshot sees them. */
async function countRows(db: Client): Promise<RowCounts> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const counts: RowCounts = {};
  for (const { name } of rows) {
    const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM public."${name.replace(/"/g, '""')}"`);
    counts[name] = Number(r.rows[0].n);
  }
  return counts;
}

/** pg_dump (custom format) of `url` into `path`; returns the row counts of the dumped snapshot. */
export async function dumpWithCounts(url: string, path: string): Promise<RowCounts> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await db.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const counts = await countRows(db);
    // The exporting transaction stays open until pg_dump is done with its snapshot.
    await tool('pg_dump', ['--format=custom', '--no-owner', '--no-acl', `--snapshot=${rows[0].id}`, '--file', path, '--dbname', url]);
    await db.query('COMMIT');
    return counts;
  } finally {
    await db.end();
  }
}

/** Tables already in the public schema (a restore goes only into an empty database). */
export async function existingTables(url: string): Promise<string[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  } finally {
    await db.end();
  }
}

export async function restoreInto(url: string, path: string): Promise<void> {
  await tool('pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', '--single-transaction', '--dbname', url, path]);
}

export async function rowCounts(url: string): Promise<RowCounts> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return await countRows(db);
  } finally {
    await db.end();
  }
}

/** Tables whose restored count differs from the dump's (`table: expected -> got`). */
export function countMismatches(expected: RowCounts, got: RowCounts): string[] {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(got)])].sort();
  return tables.filter((t) => expected[t] !== got[t]).map((t) => `${t}: ${expected[t] ?? 'absent'} in the dump -> ${got[t] ?? 'absent'} restored`);
}
