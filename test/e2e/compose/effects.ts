/**
 * How the compose e2e counts effects where no unique key folds a repeat. The stack runs the
 * production image, whose reference handler inserts into `events` (id primary key): a second
 * application there fails on the key and rolls back with its claim, so counting `events` or
 * `processed_events` rows per id always reads 1, whatever the ledger does.
 *
 * So the test installs, in the stack's own Postgres, a trigger on `events` that runs inside the
 * handler's transaction: it appends one row per application to `e2e_effects` (no unique key) and
 * lets a repeat through as a no-op instead of a key violation. A delivery that claims an event the
 * ledger already holds then commits a second effect row, and the count reads 2. With a sound ledger
 * the trigger sees each id once (the claim skips the handler for a repeat).
 */
export const INSTALL_EFFECT_COUNTER = `
CREATE TABLE IF NOT EXISTS e2e_effects (event_id text NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION e2e_count_effect() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  INSERT INTO e2e_effects (event_id) VALUES (NEW.id);
  IF EXISTS (SELECT 1 FROM events WHERE id = NEW.id) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS e2e_count_effect ON events;
CREATE TRIGGER e2e_count_effect BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION e2e_count_effect();`;

// SECURITY DEFINER: the trigger fires as the worker's role, which has no grant on e2e_effects.

/** Taken out again before the backup step, which must see the schema the migrations made. */
export const REMOVE_EFFECT_COUNTER = `
DROP TRIGGER IF EXISTS e2e_count_effect ON events;
DROP FUNCTION IF EXISTS e2e_count_effect();
DROP TABLE IF EXISTS e2e_effects;`;

/** Effects per id for the given ids, as "id,count" rows (ids never applied are absent). */
export const effectCountsQuery = (ids: string[]) =>
  `SELECT event_id, count(*) FROM e2e_effects WHERE event_id IN (${ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(',')}) GROUP BY event_id`;

/**
 * Run with `node -e` inside the absorber container (it has the stack's broker settings and the
 * build): puts already-processed events on the broker again, as an at-least-once broker may
 * redeliver them, each id twice in one delivery and once more in a delivery of its own, then waits
 * until the workers took everything. Argument: the events as JSON (QueuedEvent[]).
 */
export const REDELIVER_SCRIPT = `
const { loadConfig } = require('./dist/libs/config/src');
const { createQueueDriver } = require('./dist/libs/queue/src');
(async () => {
  const events = JSON.parse(process.argv[1]);
  const driver = await createQueueDriver(loadConfig());
  if (!(await driver.waitUntilConnected(5000))) throw new Error('broker unreachable');
  const lanes = [...new Set(events.map((e) => e.lane))];
  for (const e of events) {
    await driver.enqueue(e.lane, [e, e]);
    await driver.enqueue(e.lane, [e]);
  }
  const deadline = Date.now() + 60000;
  for (;;) {
    const depths = await Promise.all(lanes.map((l) => driver.depth(l)));
    if (depths.every((d) => d.waiting + d.delayed + d.active === 0)) break;
    if (Date.now() > deadline) throw new Error('redeliveries not consumed: ' + JSON.stringify(depths));
    await new Promise((r) => setTimeout(r, 250));
  }
  await driver.close();
  console.log('redelivered ' + events.length + ' events 3 times each');
})().catch((err) => { console.error(err.message); process.exit(1); });`;
