// Proof that the copy is complete: per table the row count and an ordered, chunked hash of the rows
// on both sides, then the sequences and the lists of tables, indexes, constraints and policies.
import { Client } from 'pg';
import { label, listSequences, listTables, Scope, TableInfo, tableName } from './catalog';
import { connect, ident } from './connect';
import { compareSequences } from './sequences';
import { compareStructure, readStructure } from './structure';

export const CHUNK_ROWS = 50_000;

interface Chunk {
  chunk: number;
  rows: number;
  hash: string;
  /** the first row's key in the chunk (primary-key tables) */
  first: string | null;
}

/**
 * Rows in key order (or, without a key, in order of their own hash: compared as a multiset), hashed
 * per chunk of CHUNK_ROWS. The row's text form is the same on every version under the session
 * settings connect() applies.
 */
function chunkSql(t: TableInfo): string {
  const order = t.key.length ? t.key.map((k) => `r.${ident(k)}`).join(', ') : 'md5(r::text)';
  const first = t.key.length ? `row(${t.key.map((k) => `r.${ident(k)}`).join(', ')})::text` : 'NULL';
  return `SELECT (n - 1) / ${CHUNK_ROWS} AS chunk, count(*)::int AS rows, md5(string_agg(h, '' ORDER BY n)) AS hash, max(k) AS first
            FROM (SELECT row_number() OVER (ORDER BY ${order}) AS n, md5(r::text) AS h,
                         CASE WHEN (row_number() OVER (ORDER BY ${order}) - 1) % ${CHUNK_ROWS} = 0 THEN ${first} END AS k
                    FROM ${tableName(t)} r) s
           GROUP BY 1 ORDER BY 1`;
}

async function chunks(client: Client, t: TableInfo): Promise<Chunk[]> {
  return (await client.query<Chunk>(chunkSql(t))).rows;
}

export function compareChunks(t: TableInfo, source: Chunk[], target: Chunk[]): string[] {
  const count = (c: Chunk[]) => c.reduce((n, x) => n + x.rows, 0);
  const problems: string[] = [];
  if (count(source) !== count(target)) problems.push(`table ${label(t)}: ${count(source)} rows on the source, ${count(target)} on the target`);
  for (let i = 0; i < Math.max(source.length, target.length); i++) {
    const [s, d] = [source[i], target[i]];
    if (s && d && s.hash === d.hash) continue;
    const where = t.key.length ? `rows from key ${(s ?? d).first}` : `rows ${i * CHUNK_ROWS + 1}-${(i + 1) * CHUNK_ROWS} in row-hash order`;
    problems.push(`table ${label(t)}: content differs in ${where}`);
    break; // the first differing chunk is enough to name; later ones shift with it
  }
  return problems;
}

export interface VerifyReport {
  problems: string[];
  /** tables without a primary key, compared as multisets of rows */
  keyless: string[];
  tables: number;
  rows: number;
}

export async function verify(fromUrl: string, toUrl: string, scope: Scope, jobs: number, log: (line: string) => void): Promise<VerifyReport> {
  const [source, target] = await Promise.all([connect(fromUrl, 'source'), connect(toUrl, 'target', { readOnly: true })]);
  try {
    const [ss, ts] = await Promise.all([readStructure(source, scope), readStructure(target, scope)]);
    const problems = compareStructure(ss, ts);
    problems.push(...compareSequences(await listSequences(source, scope), await listSequences(target, scope)));
    const targetTables = new Set((await listTables(target, scope)).map(label));
    const tables = (await listTables(source, scope)).filter((t) => targetTables.has(label(t)));
    const keyless = tables.filter((t) => !t.key.length).map(label);
    if (keyless.length) log(`no primary key (compared as multisets of rows, by row hash): ${keyless.join(', ')}`);
    let rows = 0;
    const queue = [...tables];
    const worker = async (): Promise<void> => {
      const [s, d] = await Promise.all([connect(fromUrl, 'source'), connect(toUrl, 'target', { readOnly: true })]);
      try {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const started = Date.now();
          const [a, b] = await Promise.all([chunks(s, t), chunks(d, t)]);
          const found = compareChunks(t, a, b);
          problems.push(...found);
          const n = a.reduce((m, x) => m + x.rows, 0);
          rows += n;
          log(`verified ${label(t)}: ${n} rows in ${a.length} chunk(s), ${found.length ? 'DIFFERENT' : 'same'} (${Date.now() - started} ms)`);
        }
      } finally {
        await Promise.all([s.end().catch(() => undefined), d.end().catch(() => undefined)]);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tables.length)) }, worker));
    return { problems, keyless, tables: tables.length, rows };
  } finally {
    await Promise.all([source.end().catch(() => undefined), target.end().catch(() => undefined)]);
  }
}
