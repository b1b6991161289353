// `npm run load`: open-model load against an absorber, then (with a database) the drain check.
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { laneChoices } from '../../deploy/k6/k6-script';
import { spillway } from '../../deploy/spillway';
import { ArgsError, LOAD_HELP, LoadArgs, parseLoadArgs } from './args';
import { DatabaseUnreachableError, DrainResult, installEffectCounter, removeEffectCounter, waitForDrain } from './drain-check';
import { runOpenLoad } from './generator';
import { LoadSummary } from './stats';

// loadtest's agentkeepalive calls util._extend, deprecated (DEP0060) on Node 22 and later: a warning
// about a dependency's internals that would be this command's first stderr line. Every other
// warning is printed as Node prints it.
process.removeAllListeners('warning');
process.on('warning', (w: Error & { code?: string }) => {
  if (w.code !== 'DEP0060') process.stderr.write(`(node:${process.pid}) ${w.code ? `[${w.code}] ` : ''}${w.name}: ${w.message}\n`);
});

/** One GET before the run, so an absorber that is not there is one line, not a run of errors. */
function probe(url: string): Promise<void> {
  const target = new URL('/health/live', url);
  const send = target.protocol === 'https:' ? requestTls : request;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'GET', timeout: 5000 }, (res) => {
      res.resume();
      resolve();
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (err) => reject(new Error(`cannot reach ${url} (${err.message}); start the absorber (npm run start:absorber) or check --url`)));
    req.end();
  });
}

/** The definition's pass/fail rules, applied to this run: one line per broken rule. */
export function thresholdFailures(s: LoadSummary): string[] {
  const out: string[] = [];
  if (!spillway.load) return out;
  const t = spillway.load.thresholds;
  const failedRatio = s.sent ? s.failed / s.sent : 1;
  if (!(failedRatio < t.failedRatio)) out.push(`failed requests ${(failedRatio * 100).toFixed(2)}% (threshold < ${t.failedRatio * 100}%)`);
  if (!(s.latencyMs.p95 < t.p95Ms)) out.push(`p95 ${s.latencyMs.p95} ms (threshold < ${t.p95Ms} ms)`);
  if (!(s.latencyMs.p99 < t.p99Ms)) out.push(`p99 ${s.latencyMs.p99} ms (threshold < ${t.p99Ms} ms)`);
  if (s.dropped > t.droppedIterations) out.push(`dropped ${s.dropped} (threshold <= ${t.droppedIterations})`);
  return out;
}

function report(s: LoadSummary, failures: string[], drain?: DrainResult): string[] {
  const statuses = Object.entries(s.statuses).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  const errors = Object.entries(s.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  const lines = [
    `open model: ${s.rps} rps for ${s.durationSeconds} s`,
    `  scheduled ${s.scheduled}, sent ${s.sent}, dropped ${s.dropped}, answered ${s.answered}`,
    `  statuses ${statuses}; errors ${errors}; failed (not 202) ${s.failed}`,
    `  acknowledged by lane: ${Object.entries(s.lanes).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `  latency from scheduled arrival: p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`,
    `  generator lag behind schedule: max ${s.maxSendLagMs} ms`,
    failures.length ? `  thresholds FAILED: ${failures.join('; ')}` : '  thresholds met',
  ];
  if (drain) {
    lines.push(
      `drain: ${drain.processed} of ${drain.acknowledged} acknowledged events processed` +
        (drain.stored === undefined ? '' : `, ${drain.stored} stored by the reference handler`) +
        ` (waited ${drain.waitedSeconds} s)`,
    );
    if (drain.missing.length) lines.push(`  NOT processed, e.g.: ${drain.missing.join(', ')}`);
    if (drain.doubled !== undefined) {
      lines.push(drain.doubled ? `  APPLIED MORE THAN ONCE: ${drain.doubled}, e.g.: ${drain.doubledExamples?.join(', ')}` : '  effects counted: none applied more than once');
    }
  }
  return lines;
}

export async function main(argv: string[], out = (l: string) => console.log(l), err = (l: string) => console.error(l)): Promise<number> {
  let args: LoadArgs | 'help';
  try {
    args = parseLoadArgs(argv);
  } catch (e) {
    if (e instanceof ArgsError) {
      err(`load: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    out(LOAD_HELP);
    return 0;
  }
  try {
    await probe(args.url);
  } catch (e) {
    err(`load: ${(e as Error).message}`);
    return 2;
  }
  const a = args;
  if (a.countEffects) {
    try {
      await installEffectCounter(a.databaseUrl!);
    } catch (e) {
      err(`load: cannot install the effect counter in Postgres: ${(e as Error).message} (is it migrated with \`npm run migrate\`?)`);
      return 2;
    }
  }
  try {
    return await run(a, out, err);
  } finally {
    if (a.countEffects) await removeEffectCounter(a.databaseUrl!).catch((e: Error) => err(`load: the effect counter was not removed: ${e.message}`));
  }
}

async function run(a: LoadArgs, out: (l: string) => void, err: (l: string) => void): Promise<number> {
  const stats = await runOpenLoad(
    { url: a.url, rps: a.rps, durationSeconds: a.durationSeconds, apiKey: a.apiKey, lanes: spillway.load ? laneChoices(spillway, spillway.load) : [{ lane: 'normal', type: 'load.test', priority: false, upTo: 1 }], maxInFlight: a.maxInFlight, timeoutMs: a.timeoutMs },
    (s, t) => err(`load: ${t <= a.durationSeconds ? `${t.toFixed(0)}/${a.durationSeconds} s` : 'waiting for answers'}  sent ${s.sent}  answered ${s.answered}  202 ${s.statuses['202'] ?? 0}  in flight ${s.inFlight}  dropped ${s.dropped}`),
  );
  const summary = stats.summary(a.rps, a.durationSeconds);
  const failures = thresholdFailures(summary);
  let drain: DrainResult | undefined;
  if (a.databaseUrl) {
    try {
      drain = await waitForDrain(a.databaseUrl, summary.acknowledgedIds, a.drainStallSeconds, (n, total) => err(`load: drain ${n}/${total} processed`), a.countEffects);
    } catch (e) {
      if (!(e instanceof DatabaseUnreachableError)) throw e;
      err(`load: cannot check the drain in Postgres: ${e.message}`);
      return 2;
    }
  }
  const { acknowledgedIds, ...rest } = summary;
  if (a.json) out(JSON.stringify({ ...rest, acknowledged: acknowledgedIds.length, thresholdFailures: failures, drain }, null, 2));
  else for (const line of report(summary, failures, drain)) out(line);
  return failures.length || (drain && (drain.processed < drain.acknowledged || drain.doubled)) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`load: ${(e as Error).stack ?? e}`);
      process.exit(1);
    },
  );
}
