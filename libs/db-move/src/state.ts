// The target's record of what is done, so an interrupted move resumes: a step or a table is
// recorded in the same transaction that does it, so it is either complete and recorded, or neither.
import { Client } from 'pg';
import { STATE_SCHEMA } from './catalog';

export const STATE_SQL = `
CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA};
CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.step (name text PRIMARY KEY, done_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.copied (table_name text PRIMARY KEY, row_count bigint NOT NULL, done_at timestamptz NOT NULL DEFAULT now());`;

export function markStepSql(step: string): string {
  return `INSERT INTO ${STATE_SCHEMA}.step (name) VALUES ('${step}') ON CONFLICT DO NOTHING;`;
}

export async function hasState(target: Client): Promise<boolean> {
  const { rows } = await target.query(`SELECT to_regclass('${STATE_SCHEMA}.step') IS NOT NULL AS ok`);
  return rows[0].ok as boolean;
}

export async function doneSteps(target: Client): Promise<Set<string>> {
  if (!(await hasState(target))) return new Set();
  const { rows } = await target.query(`SELECT name FROM ${STATE_SCHEMA}.step`);
  return new Set(rows.map((r) => r.name as string));
}

export async function copiedTables(target: Client): Promise<Set<string>> {
  if (!(await hasState(target))) return new Set();
  const { rows } = await target.query(`SELECT table_name FROM ${STATE_SCHEMA}.copied`);
  return new Set(rows.map((r) => r.table_name as string));
}

/** Removed once the move is verified: the target then holds only the data. */
export async function dropState(target: Client): Promise<void> {
  await target.query(`DROP SCHEMA IF EXISTS ${STATE_SCHEMA} CASCADE`);
}

/** Relations on the target outside system schemas and the state schema (extension members aside). */
export async function userRelationCount(target: Client): Promise<number> {
  const { rows } = await target.query(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', '${STATE_SCHEMA}')
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')`,
  );
  return rows[0].n as number;
}
