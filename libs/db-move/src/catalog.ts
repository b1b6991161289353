// What is being moved: the tables, sequences and schema objects outside the schemas left out.
import { Client } from 'pg';
import { qualified } from './connect';

/** The target's bookkeeping schema (which tables are complete); never copied or compared. */
export const STATE_SCHEMA = 'spillway_db_move';

export interface Scope {
  /** schemas left out entirely */
  excluded: string[];
  /** tables inside excluded schemas brought along anyway, as "schema.table" (auth.users) */
  extraTables: string[];
}

export interface TableInfo {
  schema: string;
  name: string;
  /** columns COPY carries: all but generated ones, in order */
  columns: string[];
  /** primary key columns, in key order; empty when the table has none */
  key: string[];
  /** whether UPDATE/DELETE can be replicated (a primary key, a replica identity index, or FULL) */
  replicable: boolean;
  estimatedRows: number;
  bytes: number;
}

export interface SequenceInfo {
  schema: string;
  name: string;
  lastValue: string | null;
  /** the column it feeds, when it is owned by one (serial, identity) */
  ownedBy?: { schema: string; table: string; column: string };
}

/** SQL condition: namespace alias `n` is in the scope. $1 = excluded schemas. */
const IN_SCOPE = `n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;
/** SQL condition: relation alias `c` was not created by an extension. */
const NOT_EXTENSION = `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')`;

export function excludedWithState(scope: Scope): string[] {
  return [...scope.excluded, STATE_SCHEMA];
}

export async function listTables(client: Client, scope: Scope): Promise<TableInfo[]> {
  const { rows } = await client.query(
    `SELECT n.nspname AS schema, c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum) AS columns,
            coalesce(array(SELECT a.attname::text FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                           WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.ord), '{}') AS key,
            (c.relreplident = 'f' OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
              OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))) AS replicable,
            greatest(c.reltuples, 0)::float8 AS "estimatedRows", pg_table_size(c.oid)::float8 AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND (${IN_SCOPE} OR (n.nspname || '.' || c.relname) = ANY($2::text[])) AND ${NOT_EXTENSION}
      ORDER BY pg_table_size(c.oid) DESC, 1, 2`,
    [excludedWithState(scope), scope.extraTables],
  );
  return rows as TableInfo[];
}

export async function listSequences(client: Client, scope: Scope): Promise<SequenceInfo[]> {
  const { rows } = await client.query(
    `SELECT n.nspname AS schema, c.relname AS name, s.last_value::text AS "lastValue",
            tn.nspname AS "ownerSchema", t.relname AS "ownerTable", a.attname AS "ownerColumn"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = c.relname
       LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       LEFT JOIN pg_class t ON t.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE c.relkind = 'S' AND (${IN_SCOPE} OR (tn.nspname || '.' || t.relname) = ANY($2::text[])) AND ${NOT_EXTENSION}
      ORDER BY 1, 2`,
    [excludedWithState(scope), scope.extraTables],
  );
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    lastValue: r.lastValue,
    ownedBy: r.ownerTable ? { schema: r.ownerSchema, table: r.ownerTable, column: r.ownerColumn } : undefined,
  }));
}

export function tableName(t: { schema: string; name: string }): string {
  return qualified(t.schema, t.name);
}

export function label(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`;
}

/** Schemas with anything to copy (user schemas that exist on the source and are not left out). */
export async function listSchemas(client: Client, scope: Scope): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT n.nspname AS name FROM pg_namespace n WHERE ${IN_SCOPE}
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e')
      ORDER BY 1`,
    [excludedWithState(scope)],
  );
  return rows.map((r) => r.name as string);
}

export async function listExtensions(client: Client): Promise<{ name: string; schema: string; version: string }[]> {
  const { rows } = await client.query(
    `SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1`,
  );
  return rows;
}
