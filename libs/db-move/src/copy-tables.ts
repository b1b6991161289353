// Dump mode's data copy: every table streamed with COPY from the source into the target, several at
// once, all reading one snapshot of the source. Each table is emptied, filled and recorded as copied
// in one target transaction: after an interruption it is either complete or copied again.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { label, STATE_SCHEMA, TableInfo, tableName } from './catalog';
import { connect, ident, literal } from './connect';
import { describe, summary, TableProgress } from './progress';
import { copiedTables } from './state';

export interface CopyResult {
  rows: number;
  bytes: number;
  ms: number;
  skipped: string[];
}

/** Counts rows (text COPY escapes newlines inside values, so each newline ends a row) and bytes. */
function counter(p: TableProgress): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      p.bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) p.rows++;
      done(null, chunk);
    },
  });
}

async function copyOne(t: TableInfo, snapshot: string, fromUrl: string, toUrl: string, p: TableProgress): Promise<void> {
  const [source, target] = await Promise.all([connect(fromUrl, 'source'), connect(toUrl, 'target')]);
  try {
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await source.query(`SET TRANSACTION SNAPSHOT ${literal(snapshot)}`);
    await target.query('BEGIN');
    await target.query(`TRUNCATE ${tableName(t)}`);
    const cols = t.columns.map(ident).join(', ');
    // FREEZE: the table was emptied in this transaction, so its rows can be written frozen (no
    // vacuum pass over the whole table later)
    const into = target.query(copyFrom(`COPY ${tableName(t)} (${cols}) FROM STDIN WITH (FREEZE)`));
    const out = source.query(copyTo(`COPY ${tableName(t)} (${cols}) TO STDOUT`));
    await pipeline(out, counter(p), into);
    await target.query(`INSERT INTO ${STATE_SCHEMA}.copied (table_name, row_count) VALUES ($1, $2) ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count, done_at = now()`, [label(t), p.rows]);
    await target.query('COMMIT');
    await source.query('COMMIT');
  } catch (err) {
    throw new Error(`copying ${label(t)} failed after ${p.rows} rows: ${(err as Error).message} (run again to resume; this table starts over)`, { cause: err });
  } finally {
    await Promise.all([source.end().catch(() => undefined), target.end().catch(() => undefined)]);
  }
}

export async function copyTables(tables: TableInfo[], fromUrl: string, toUrl: string, jobs: number, log: (line: string) => void): Promise<CopyResult> {
  const started = Date.now();
  const target = await connect(toUrl, 'target');
  const done = await copiedTables(target).finally(() => target.end());
  const skipped = tables.filter((t) => done.has(label(t))).map(label);
  if (skipped.length) log(`resuming: ${skipped.length} table(s) already complete on the target: ${skipped.join(', ')}`);
  const queue = tables.filter((t) => !done.has(label(t))); // largest first: the long pole starts at once

  // one snapshot for every table: the copy is of one moment of the source
  const leader = await connect(fromUrl, 'source');
  const active = new Set<TableProgress>();
  const ticker = setInterval(() => active.forEach((p) => log(describe(p))), 2000);
  let rows = 0;
  let bytes = 0;
  try {
    await leader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await leader.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s;
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const p: TableProgress = { label: label(t), estimatedRows: t.estimatedRows, rows: 0, bytes: 0, startedAt: Date.now() };
        active.add(p);
        try {
          await copyOne(t, snapshot, fromUrl, toUrl, p);
        } catch (err) {
          queue.length = 0; // the tables in flight finish (and count); no new one starts
          throw err;
        } finally {
          active.delete(p);
        }
        rows += p.rows;
        bytes += p.bytes;
        log(`copied ${describe({ ...p, estimatedRows: 0 })}`);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(jobs, Math.max(queue.length, 1)) }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    clearInterval(ticker);
    await leader.end().catch(() => undefined);
  }
  const ms = Date.now() - started;
  log(`data copied: ${summary(rows, bytes, ms)}`);
  return { rows, bytes, ms, skipped };
}
