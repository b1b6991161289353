// The lists verify compares: tables, indexes, constraints, policies and sequences, each as
// "name: definition" so a difference says what is missing or what changed.
import { Client } from 'pg';
import { excludedWithState, Scope } from './catalog';

export type Structure = Record<'tables' | 'indexes' | 'constraints' | 'policies' | 'sequences', Map<string, string>>;

const IN_SCOPE = `(n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' OR (n.nspname || '.' || c.relname) = ANY($2::text[]))`;
const NOT_EXTENSION = `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')`;

const QUERIES: Record<keyof Structure, string> = {
  tables: `SELECT n.nspname || '.' || c.relname AS k,
                  (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                     || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END, ', ' ORDER BY a.attnum)
                     FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS v
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${IN_SCOPE} AND ${NOT_EXTENSION}`,
  indexes: `SELECT n.nspname || '.' || i.relname AS k, pg_get_indexdef(i.oid) AS v
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE ${IN_SCOPE} AND ${NOT_EXTENSION}`,
  constraints: `SELECT n.nspname || '.' || c.relname || '.' || k.conname AS k, pg_get_constraintdef(k.oid) AS v
                  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE k.contype <> 'n' AND ${IN_SCOPE} AND ${NOT_EXTENSION}`,
  policies: `SELECT n.nspname || '.' || c.relname || '.' || p.polname AS k,
                    p.polcmd::text || ' ' || CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END
                    || ' to ' || coalesce((SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END AS x FROM unnest(p.polroles) r) q), '')
                    || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-') || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-') AS v
               FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${IN_SCOPE}`,
  sequences: `SELECT n.nspname || '.' || c.relname AS k, s.data_type::text || ' increment ' || s.increment_by AS v
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = c.relname
               WHERE c.relkind = 'S' AND ${IN_SCOPE} AND ${NOT_EXTENSION}`,
};

const NOUN: Record<keyof Structure, string> = { tables: 'table', indexes: 'index', constraints: 'constraint', policies: 'policy', sequences: 'sequence' };

export async function readStructure(client: Client, scope: Scope): Promise<Structure> {
  const out = {} as Structure;
  for (const [kind, sql] of Object.entries(QUERIES) as [keyof Structure, string][]) {
    const { rows } = await client.query<{ k: string; v: string }>(sql, [excludedWithState(scope), scope.extraTables]);
    out[kind] = new Map(rows.map((r) => [r.k, r.v]));
  }
  return out;
}

/** Each difference in one line: "index public.x: missing on the target", "... differs: A vs B". */
export function compareStructure(source: Structure, target: Structure): string[] {
  const problems: string[] = [];
  for (const kind of Object.keys(QUERIES) as (keyof Structure)[]) {
    const noun = NOUN[kind];
    for (const [k, v] of source[kind]) {
      const t = target[kind].get(k);
      if (t === undefined) problems.push(`${noun} ${k}: missing on the target`);
      else if (t !== v) problems.push(`${noun} ${k}: differs (source: ${v}; target: ${t})`);
    }
    for (const k of target[kind].keys()) if (!source[kind].has(k)) problems.push(`${noun} ${k}: only on the target`);
  }
  return problems;
}
