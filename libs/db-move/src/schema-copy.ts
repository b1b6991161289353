// The schema, copied with pg_dump and psql: no owners, no grants, Supabase's schemas left out, in
// two halves (tables before the data; indexes, constraints, triggers and policies after it).
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { Scope } from './catalog';
import { ClientTools } from './client-tools';
import { toolInvocation } from './password-env';
import { ident } from './connect';
import { markStepSql, STATE_SQL } from './state';
import { STAND_INS_SQL } from './supabase';

export type Section = 'pre-data' | 'post-data';

function run(binary: string, urlArgs: string[], input?: string): Promise<string> {
  const { args, env } = toolInvocation(urlArgs);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const first = Buffer.concat(err).toString('utf8').split('\n').find((l) => /ERROR|error|FATAL/.test(l)) ?? `exit ${code}`;
      reject(new Error(`${binary.split('/').pop()} failed: ${first.trim()}`));
    });
    child.stdin.on('error', () => undefined); // the exit code tells what went wrong
    child.stdin.end(input ?? '');
  });
}

export interface SchemaPlan {
  scope: Scope;
  /** extensions the copied objects need (created on the target in their source schema) */
  extensions: { name: string; schema: string }[];
  withAuthUsers: boolean;
  standIns: boolean;
}

function dumpArgs(from: string, section: Section, plan: SchemaPlan): string[] {
  const args = ['--dbname', from, '--schema-only', `--section=${section}`, '--no-owner', '--no-acl', '--no-publications', '--no-subscriptions', '--no-security-labels', '--no-comments'];
  for (const s of plan.scope.excluded) args.push('--exclude-schema', s);
  // pg_dump writes every extension of the database unless told which: only the ones needed
  for (const e of ['plpgsql', ...plan.extensions.map((x) => x.name)]) args.push('--extension', e);
  return args;
}

/** The SQL that runs before the first section: stand-ins, schemas the extensions live in, bookkeeping. */
function preamble(plan: SchemaPlan): string {
  const parts = [STATE_SQL];
  if (plan.standIns) parts.push(STAND_INS_SQL);
  const schemas = new Set(plan.extensions.map((e) => e.schema).filter((s) => plan.scope.excluded.includes(s)));
  if (plan.withAuthUsers) schemas.add('auth');
  for (const s of schemas) parts.push(`CREATE SCHEMA IF NOT EXISTS ${ident(s)};`);
  return parts.join('\n');
}

/** One section, applied in one transaction with its bookkeeping row: it is applied whole or not at all. */
export async function copySchemaSection(tools: ClientTools, from: string, to: string, section: Section, plan: SchemaPlan): Promise<void> {
  const main = await run(tools.pgDump, dumpArgs(from, section, plan));
  let auth = '';
  if (plan.withAuthUsers) {
    auth = await run(tools.pgDump, ['--dbname', from, '--schema-only', `--section=${section}`, '--no-owner', '--no-acl', '--no-comments', '--table', 'auth.users']);
  }
  // auth.users before the rest in both halves: copied tables may reference it (its triggers may
  // call copied functions, but those are pre-data and so already there)
  const body = section === 'pre-data' ? [preamble(plan), auth, main] : [auth, main];
  const sql = [...body, markStepSql(section)].join('\n');
  // psql, not a driver: pg_dump's output may hold psql meta-commands (\restrict in newer releases)
  await run(tools.psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--dbname', to], sql);
}

/** The extensions the copied schema needs: those in copied schemas and those whose objects it uses. */
export async function neededExtensions(source: Client, scope: Scope): Promise<{ name: string; schema: string }[]> {
  const { rows } = await source.query(
    `SELECT DISTINCT x.extname AS name, xn.nspname AS schema
       FROM pg_extension x JOIN pg_namespace xn ON xn.oid = x.extnamespace
      WHERE x.extname <> 'plpgsql' AND (
            (xn.nspname <> ALL($1::text[]))
         OR EXISTS (SELECT 1 FROM pg_depend e JOIN pg_depend d ON d.refclassid = e.classid AND d.refobjid = e.objid
                     WHERE e.refclassid = 'pg_extension'::regclass AND e.refobjid = x.oid AND e.deptype = 'e' AND d.deptype = 'n'
                       AND d.classid IN ('pg_class'::regclass, 'pg_attrdef'::regclass, 'pg_constraint'::regclass, 'pg_policy'::regclass, 'pg_rewrite'::regclass, 'pg_trigger'::regclass)
                       AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                    WHERE c.oid = CASE d.classid WHEN 'pg_class'::regclass THEN d.objid
                                                   WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
                                                   WHEN 'pg_constraint'::regclass THEN (SELECT conrelid FROM pg_constraint WHERE oid = d.objid)
                                                   WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid)
                                                   WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
                                                   WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid) END
                                      AND (n.nspname <> ALL($1::text[]) OR (n.nspname || '.' || c.relname) = ANY($2::text[])))))
      ORDER BY 1`,
    [scope.excluded, scope.extraTables],
  );
  return rows;
}
