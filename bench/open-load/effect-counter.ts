// Counting effects where no unique key folds a repeat, for `npm run load --count-effects` and the
// compose e2e. The reference handler inserts into `events` (id primary key): a second application
// there fails on the key and rolls back with its claim, so counting `events` or `processed_events`
// rows per id always reads 1, whatever the ledger does.
//
// So a trigger on `events`, running inside the handler's transaction, appends one row per
// application to `effect_counter` (no unique key) and lets a repeat through as a no-op instead of
// a key violation. A delivery that claims an event the ledger already holds then commits a second
// row, and the count reads 2. With a sound ledger the trigger sees each id once. SECURITY DEFINER:
// the trigger fires as the worker's role, which has no grant on effect_counter (the box's logins).
import type { Pool } from 'pg';

export const INSTALL_EFFECT_COUNTER = `
CREATE TABLE IF NOT EXISTS effect_counter (event_id text NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION effect_counter_add() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  INSERT INTO effect_counter (event_id) VALUES (NEW.id);
  IF EXISTS (SELECT 1 FROM events WHERE id = NEW.id) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS effect_counter_add ON events;
CREATE TRIGGER effect_counter_add BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION effect_counter_add();`;

/** Taken out again after the count: the schema goes back to what the migrations made. */
export const REMOVE_EFFECT_COUNTER = `
DROP TRIGGER IF EXISTS effect_counter_add ON events;
DROP FUNCTION IF EXISTS effect_counter_add();
DROP TABLE IF EXISTS effect_counter;`;

/** Effects per id for the given ids, as "id,count" rows (ids never applied are absent), for psql. */
export const effectCountsQuery = (ids: string[]) =>
  `SELECT event_id, count(*) FROM effect_counter WHERE event_id IN (${ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(',')}) GROUP BY event_id`;

const CHUNK = 10_000;

/** How many acknowledged ids were applied more than once, with up to `limit` of them named. */
export async function doubledEffects(pool: Pool, ids: string[], limit = 10): Promise<{ doubled: number; examples: string[] }> {
  let doubled = 0;
  const examples: string[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const { rows } = await pool.query<{ event_id: string }>(
      'SELECT event_id FROM effect_counter WHERE event_id = ANY($1::text[]) GROUP BY event_id HAVING count(*) > 1',
      [ids.slice(i, i + CHUNK)],
    );
    doubled += rows.length;
    examples.push(...rows.map((r) => r.event_id).slice(0, limit - examples.length));
  }
  return { doubled, examples };
}
