// After the run: were all acknowledged events processed? Polls `processed_events` (the ledger the
// worker writes in the same transaction as the handler's effect) and the reference handler's
// `events` rows for the ids the 202 answers carried, until all are there or nothing moved for a while.
import { Pool } from 'pg';
import { doubledEffects, INSTALL_EFFECT_COUNTER, REMOVE_EFFECT_COUNTER } from './effect-counter';

export interface DrainResult {
  acknowledged: number;
  processed: number;
  /** Rows the reference handler stored (`events`); undefined when that table does not exist. */
  stored?: number;
  missing: string[];
  /** With --count-effects: acknowledged ids applied more than once (0 is the only good answer). */
  doubled?: number;
  doubledExamples?: string[];
  waitedSeconds: number;
}

const CHUNK = 10_000;

async function countIn(pool: Pool, table: string, ids: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE id = ANY($1::text[])`, [ids.slice(i, i + CHUNK)]);
    n += Number(rows[0].n);
  }
  return n;
}

async function missingIds(pool: Pool, ids: string[], limit: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ids.length && out.length < limit; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM processed_events WHERE id = ANY($1::text[])', [chunk]);
    const seen = new Set(rows.map((r) => r.id));
    out.push(...chunk.filter((id) => !seen.has(id)));
  }
  return out.slice(0, limit);
}

export class DatabaseUnreachableError extends Error {}

export async function waitForDrain(
  databaseUrl: string,
  ids: string[],
  stallSeconds: number,
  progress: (processed: number, total: number) => void = () => undefined,
  countEffects = false,
): Promise<DrainResult> {
  const pool = new Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5000 });
  const started = Date.now();
  try {
    try {
      await pool.query('SELECT 1 FROM processed_events LIMIT 0');
    } catch (err) {
      throw new DatabaseUnreachableError(`${(err as Error).message} (is Postgres running, and migrated with \`npm run migrate\`?)`);
    }
    let processed = await countIn(pool, 'processed_events', ids);
    let movedAt = Date.now();
    while (processed < ids.length && Date.now() - movedAt < stallSeconds * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await countIn(pool, 'processed_events', ids);
      if (now !== processed) movedAt = Date.now();
      processed = now;
      progress(processed, ids.length);
    }
    const hasEvents = (await pool.query("SELECT to_regclass('events') IS NOT NULL AS present")).rows[0].present as boolean;
    const effects = countEffects ? await doubledEffects(pool, ids) : undefined;
    return {
      ...(effects ? { doubled: effects.doubled, doubledExamples: effects.examples } : {}),
      acknowledged: ids.length,
      processed,
      stored: hasEvents ? await countIn(pool, 'events', ids) : undefined,
      missing: processed < ids.length ? await missingIds(pool, ids, 10) : [],
      waitedSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await pool.end();
  }
}

async function onDatabase(databaseUrl: string, sql: string): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 5000 });
  try {
    await pool.query(sql);
  } finally {
    await pool.end();
  }
}

export const installEffectCounter = (databaseUrl: string) => onDatabase(databaseUrl, INSTALL_EFFECT_COUNTER);
export const removeEffectCounter = (databaseUrl: string) => onDatabase(databaseUrl, REMOVE_EFFECT_COUNTER);
