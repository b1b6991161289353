// Everything that can be known before a byte is written: versions, client tools, what Supabase
// brings, extensions and roles the target lacks, an occupied target, a source that cannot replicate.
import { Client } from 'pg';
import { MoveOptions } from './args';
import { label, listSequences, listTables, Scope, SequenceInfo, TableInfo } from './catalog';
import { ClientTools, findClientTools } from './client-tools';
import { serverMajor } from './connect';
import { outsideReferences, policyRoles } from './dependencies';
import { neededExtensions } from './schema-copy';
import { hasState, userRelationCount } from './state';
import { DETECT_SQL, STAND_IN_FUNCTIONS, SUPABASE_ROLES, SUPABASE_SCHEMAS } from './supabase';

export interface MovePlan {
  supabase: boolean;
  scope: Scope;
  tables: TableInfo[];
  sequences: SequenceInfo[];
  extensions: { name: string; schema: string }[];
  /** extensions on the source that the copied schema does not need (left behind) */
  leftBehind: string[];
  tools?: ClientTools;
  sourceMajor: number;
  targetMajor: number;
  /** the target holds an unfinished db:move */
  resuming: boolean;
}

/** Supabase's poolers: transaction mode (6543) cannot hold a replication connection or a snapshot. */
export function poolerReason(url: string): string | undefined {
  const u = new URL(url);
  if (u.port === '6543') return 'port 6543 is a transaction pooler (Supavisor/pgbouncer)';
  if (/pooler\.supabase\.com$/.test(u.hostname)) return `${u.hostname} is Supabase's pooler`;
  return undefined;
}

async function existsOnTarget(target: Client, kind: string, name: string): Promise<boolean> {
  const check = kind === 'function'
    ? `SELECT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname || '.' || p.proname = $1) AS ok`
    : kind === 'table' ? 'SELECT to_regclass($1) IS NOT NULL AS ok' : 'SELECT to_regtype($1) IS NOT NULL AS ok';
  return (await target.query(check, [name])).rows[0].ok as boolean;
}

export async function preflight(o: MoveOptions, source: Client, target: Client, log: (line: string) => void): Promise<MovePlan> {
  const problems: string[] = [];
  // what the schema restore needs is checked only when there is a restore to come
  const restoring = !o.verifyOnly && !o.switchOver && !o.abort;
  const [sourceMajor, targetMajor] = [await serverMajor(source), await serverMajor(target)];
  if (targetMajor < sourceMajor) problems.push(`the target runs PostgreSQL ${targetMajor}, older than the source's ${sourceMajor}: move to ${sourceMajor} or newer`);
  let tools: ClientTools | undefined;
  if (restoring) {
    try {
      tools = findClientTools(sourceMajor, o.pgBin);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }

  const supabase = (await source.query(DETECT_SQL)).rows[0].supabase as boolean;
  const scope: Scope = { excluded: [...(supabase ? SUPABASE_SCHEMAS : []), ...o.excludeSchemas], extraTables: o.withAuthUsers ? ['auth.users'] : [] };
  if (supabase) log(`Supabase detected: leaving out its schemas (${SUPABASE_SCHEMAS.join(', ')})${o.withAuthUsers ? ', bringing auth.users' : ''}`);
  if (o.withAuthUsers && !supabase) problems.push('--with-auth-users: the source has no Supabase auth.users');

  const resuming = await hasState(target);
  const occupied = await userRelationCount(target);
  if (restoring && !o.dryRun && occupied > 0 && !resuming) {
    problems.push(`the target is not empty (${occupied} tables, views or sequences) and holds no unfinished db:move: give an empty database`);
  }

  const extensions = await neededExtensions(source, scope);
  const sourceExtensions = (await source.query<{ name: string }>(`SELECT extname AS name FROM pg_extension WHERE extname <> 'plpgsql'`)).rows.map((r) => r.name);
  const leftBehind = sourceExtensions.filter((e) => !extensions.some((x) => x.name === e));
  const available = new Set((await target.query<{ name: string }>('SELECT name FROM pg_available_extensions')).rows.map((r) => r.name));
  for (const e of restoring ? extensions : []) if (!available.has(e.name)) problems.push(`extension ${e.name} is used by the copied schema but the target cannot install it (not in pg_available_extensions)`);

  for (const ref of restoring ? await outsideReferences(source, scope) : []) {
    if (o.standIns && ref.kind === 'function' && STAND_IN_FUNCTIONS.includes(ref.needs)) continue;
    if (await existsOnTarget(target, ref.kind, ref.needs)) continue;
    const fix = ref.needs === 'auth.users' ? 'add --with-auth-users'
      : ref.kind === 'function' && STAND_IN_FUNCTIONS.includes(ref.needs) ? 'add --stand-ins'
      : `create ${ref.needs} on the target first, or leave out what uses it`;
    problems.push(`${ref.from} uses ${ref.kind} ${ref.needs}, in a schema left out and missing on the target: ${fix}`);
  }
  const targetRoles = new Set((await target.query<{ n: string }>('SELECT rolname AS n FROM pg_roles')).rows.map((r) => r.n));
  for (const role of restoring ? await policyRoles(source, scope) : []) {
    if (targetRoles.has(role) || (o.standIns && SUPABASE_ROLES.includes(role))) continue;
    problems.push(`policies name role ${role}, missing on the target: ${SUPABASE_ROLES.includes(role) ? 'add --stand-ins, or ' : ''}CREATE ROLE ${role} NOLOGIN there first`);
  }

  const tables = await listTables(source, scope);
  if (o.mode === 'replicate' && !o.abort) {
    const pooler = poolerReason(o.sourceUrlForTarget ?? o.from);
    if (pooler) problems.push(`replicate mode needs a direct connection to the source: ${pooler}; use the direct host on port 5432 (Supabase: db.<project>.supabase.co)`);
    const walLevel = (await source.query('SHOW wal_level')).rows[0].wal_level as string;
    if (walLevel !== 'logical') problems.push(`replicate mode needs wal_level=logical on the source (it is ${walLevel}); set it and restart the source, or use --mode dump`);
    const rights = (await source.query('SELECT rolsuper OR rolreplication AS ok FROM pg_roles WHERE rolname = current_user')).rows[0].ok as boolean;
    if (!rights) problems.push('replicate mode: the source user needs the REPLICATION attribute (ALTER ROLE ... REPLICATION)');
    const noIdentity = tables.filter((t) => !t.replicable).map(label);
    if (noIdentity.length) {
      problems.push(`replicate mode: ${noIdentity.join(', ')} ha${noIdentity.length > 1 ? 've' : 's'} no primary key or replica identity, so the source would refuse UPDATE and DELETE on ${noIdentity.length > 1 ? 'them' : 'it'} once published: add a primary key, or ALTER TABLE ... REPLICA IDENTITY FULL, or use --mode dump`);
    }
  } else if (poolerReason(o.from)) {
    log(`warning: ${poolerReason(o.from)}; pg_dump and snapshots are safer on the direct port (5432)`);
  }

  if (problems.length) throw new Error(`preflight refused:\n  ${problems.join('\n  ')}`);
  const sequences = await listSequences(source, scope);
  log(`preflight ok: source PostgreSQL ${sourceMajor}, target ${targetMajor}${tools ? `, ${tools.version}` : ''}; ${tables.length} tables, ${sequences.length} sequences, extensions: ${extensions.map((e) => e.name).join(', ') || 'none'}${resuming ? '; resuming an unfinished move' : ''}`);
  if (leftBehind.length) log(`extensions on the source not needed by the copied schema, left behind: ${leftBehind.join(', ')}`);
  return { supabase, scope, tables, sequences, extensions, leftBehind, tools, sourceMajor, targetMajor, resuming };
}
