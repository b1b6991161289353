// What the copied schema needs from the schemas left out (Supabase's auth.uid(), auth.users...) and
// which roles its policies name: found before anything is written, so the restore cannot fail half-way.
import { Client } from 'pg';
import { excludedWithState, Scope } from './catalog';

export interface OutsideReference {
  /** the object in a copied schema, as Postgres describes it */
  from: string;
  /** what it needs, "schema.name" */
  needs: string;
  kind: 'function' | 'table' | 'type';
}

const RELATION_OF = `CASE d.classid
    WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid)
    WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
    WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
    WHEN 'pg_constraint'::regclass THEN (SELECT conrelid FROM pg_constraint WHERE oid = d.objid)
    WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
    WHEN 'pg_class'::regclass THEN d.objid END`;

/** Functions, tables and types in left-out schemas that copied objects use (extension members aside: the extension is created). */
export async function outsideReferences(client: Client, scope: Scope): Promise<OutsideReference[]> {
  const { rows } = await client.query(
    `WITH deps AS (
       SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS "from", ${RELATION_OF} AS rel, d.refclassid, d.refobjid
         FROM pg_depend d
        WHERE d.refclassid IN ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_type'::regclass) AND d.deptype = 'n'
          AND d.classid IN ('pg_policy'::regclass, 'pg_attrdef'::regclass, 'pg_rewrite'::regclass, 'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_class'::regclass)
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.refclassid AND e.objid = d.refobjid AND e.deptype = 'e'))
     SELECT DISTINCT deps."from",
            CASE deps.refclassid WHEN 'pg_proc'::regclass THEN 'function' WHEN 'pg_class'::regclass THEN 'table' ELSE 'type' END AS kind,
            coalesce((SELECT pn.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace WHERE deps.refclassid = 'pg_proc'::regclass AND p.oid = deps.refobjid),
                     (SELECT cn.nspname || '.' || rc.relname FROM pg_class rc JOIN pg_namespace cn ON cn.oid = rc.relnamespace
                       WHERE deps.refclassid = 'pg_class'::regclass
                         -- a foreign key also depends on the referenced table's unique index: name the table
                         AND rc.oid = coalesce((SELECT indrelid FROM pg_index WHERE indexrelid = deps.refobjid), deps.refobjid)),
                     (SELECT tn.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace tn ON tn.oid = t.typnamespace WHERE deps.refclassid = 'pg_type'::regclass AND t.oid = deps.refobjid)) AS needs
       FROM deps JOIN pg_class c ON c.oid = deps.rel JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`,
    [excludedWithState(scope)],
  );
  return (rows as OutsideReference[]).filter((r) => {
    const schema = r.needs.split('.')[0];
    return scope.excluded.includes(schema) && !scope.extraTables.includes(r.needs);
  });
}

/** Roles named by the copied schema's policies (PUBLIC aside). */
export async function policyRoles(client: Client, scope: Scope): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT DISTINCT r.rolname AS name FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(p.polroles) pr(oid) JOIN pg_roles r ON r.oid = pr.oid
      WHERE (n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg\\_%') OR (n.nspname || '.' || c.relname) = ANY($2::text[])
      ORDER BY 1`,
    [excludedWithState(scope), scope.extraTables],
  );
  return rows.map((r) => r.name as string);
}
