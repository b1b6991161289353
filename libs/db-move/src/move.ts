// The whole move, in order: preflight -> schema (pre-data) -> data -> schema (post-data) ->
// sequences -> verify. Each step is recorded on the target, so running it again resumes.
import { Client } from 'pg';
import { MoveOptions } from './args';
import { label, listSequences } from './catalog';
import { connect } from './connect';
import { copyTables } from './copy-tables';
import { MovePlan, preflight } from './preflight';
import { startReplication, stopReplication, subscriptionExists, waitForInitialCopy, waitForLagZero, lagBytes, REPLICATION_NAME } from './replicate';
import { copySchemaSection, SchemaPlan } from './schema-copy';
import { syncSequences } from './sequences';
import { doneSteps, dropState } from './state';
import { verify } from './verify';

export class VerifyFailed extends Error {}

type Log = (line: string) => void;

function dryRunPlan(o: MoveOptions, plan: MovePlan): string[] {
  const steps = o.verifyOnly ? ['verify'] : o.abort ? [`remove subscription, slot and publication ${REPLICATION_NAME}`]
    : o.switchOver ? ['wait for lag 0', 'set sequences', 'verify', `remove subscription, slot and publication ${REPLICATION_NAME}`]
    : ['schema before the data (tables, types, functions)', o.mode === 'dump' ? `data: ${plan.tables.length} tables by COPY, ${o.jobs} at once` : 'schema after the data', o.mode === 'dump' ? 'schema after the data (indexes, constraints, triggers, policies)' : `publication + subscription ${REPLICATION_NAME}, wait for the initial copy`, ...(o.mode === 'dump' ? ['set sequences', 'verify'] : [])];
  return [`dry run, nothing changed. Would:`, ...steps.map((s, i) => `  ${i + 1}. ${s}`), `tables: ${plan.tables.map((t) => `${label(t)} (~${Math.round(t.estimatedRows)} rows)`).join(', ') || 'none'}`];
}

async function verifyOrThrow(o: MoveOptions, plan: MovePlan, log: Log): Promise<void> {
  const report = await verify(o.from, o.to, plan.scope, o.jobs, log);
  if (report.problems.length) throw new VerifyFailed(`verify found ${report.problems.length} difference(s):\n  ${report.problems.join('\n  ')}`);
  log(`verify ok: ${report.tables} tables, ${report.rows} rows, sequences, tables, indexes, constraints and policies the same${report.keyless.length ? ` (${report.keyless.length} without a primary key, compared as multisets)` : ''}`);
}

async function schemaSections(o: MoveOptions, plan: MovePlan, target: Client, sections: ('pre-data' | 'post-data')[], log: Log): Promise<void> {
  const done = await doneSteps(target);
  const schemaPlan: SchemaPlan = { scope: plan.scope, extensions: plan.extensions, withAuthUsers: o.withAuthUsers, standIns: o.standIns };
  for (const section of sections) {
    if (done.has(section)) {
      log(`schema ${section}: already on the target`);
      continue;
    }
    const started = Date.now();
    await copySchemaSection(plan.tools!, o.from, o.to, section, schemaPlan);
    log(`schema ${section}: copied in ${Date.now() - started} ms`);
  }
}

async function setSequences(o: MoveOptions, plan: MovePlan, source: Client, target: Client, log: Log): Promise<void> {
  const set = await syncSequences(await listSequences(source, plan.scope), target);
  log(`sequences: ${set.length} set (${set.slice(0, 8).map((s) => `${s.name}=${s.value}`).join(', ')}${set.length > 8 ? ', ...' : ''})`);
}

export async function runMove(o: MoveOptions, log: Log): Promise<void> {
  // the source is written only by replicate mode (its publication and slot)
  const writesSource = o.mode === 'replicate' && !o.verifyOnly && !o.dryRun;
  const source = await connect(o.from, 'source', { readOnly: !writesSource });
  const target = await connect(o.to, 'target', { readOnly: o.verifyOnly || o.dryRun });
  try {
    const plan = await preflight(o, source, target, log);
    if (o.dryRun) return dryRunPlan(o, plan).forEach((l) => log(l));
    if (o.verifyOnly) return await verifyOrThrow(o, plan, log);
    if (o.abort) return await stopReplication(source, target, log);

    if (o.mode === 'dump') {
      await schemaSections(o, plan, target, ['pre-data'], log);
      await copyTables(plan.tables, o.from, o.to, o.jobs, log);
      await schemaSections(o, plan, target, ['post-data'], log);
      await setSequences(o, plan, source, target, log);
      await verifyOrThrow(o, plan, log);
      await dropState(target);
      return log('done: the target holds a verified copy; point the application at it');
    }

    if (!o.switchOver) {
      await schemaSections(o, plan, target, ['pre-data', 'post-data'], log);
      await startReplication(source, target, plan.tables, o.sourceUrlForTarget ?? o.from, log);
      await waitForInitialCopy(target, log, 24 * 3600);
      log(`replicating; lag now ${await lagBytes(source)} bytes. Next: stop writes to the source, then run again with --switch`);
      return;
    }
    if (!(await subscriptionExists(target))) throw new Error(`no subscription ${REPLICATION_NAME} on the target: run --mode replicate (without --switch) first`);
    await waitForLagZero(source, log, o.lagTimeoutS);
    await setSequences(o, plan, source, target, log);
    try {
      await verifyOrThrow(o, plan, log);
    } catch (err) {
      log('replication left running so you can look; fix and run --switch again, or --abort');
      throw err;
    }
    await stopReplication(source, target, log);
    await dropState(target);
    log('done: the target holds a verified copy and nothing replicates any more; point the application at it');
  } finally {
    await Promise.all([source.end().catch(() => undefined), target.end().catch(() => undefined)]);
  }
}
