import type { DataSource } from 'typeorm';

/**
 * Makes Postgres itself refuse any DELETE that would take a `processed_events` row of `type` (a
 * BEFORE DELETE trigger raising an error), so a ledger sweep fails the way a real database error
 * fails it, while rows of other types and other tests are untouched. Returns the undo.
 */
export async function failDeletesOfType(db: DataSource, type: string): Promise<() => Promise<void>> {
  const fn = `fail_delete_${type.replace(/\W/g, '_')}`;
  await db.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF OLD.type = '${type}' THEN RAISE EXCEPTION 'test refuses to delete % rows', OLD.type; END IF; RETURN OLD; END $$`);
  await db.query(`CREATE TRIGGER ${fn} BEFORE DELETE ON processed_events FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
  return async () => {
    await db.query(`DROP TRIGGER IF EXISTS ${fn} ON processed_events`);
    await db.query(`DROP FUNCTION IF EXISTS ${fn}()`);
  };
}
