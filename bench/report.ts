import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchArgs } from './args';
import { renderPlot } from './plot';
import { deployedNodeArgs } from './servers';
import { HttpBenchResult, ServerFigures } from './throughput';

export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavg1m: Number(loadavg()[0].toFixed(2)) };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '-' : n.toFixed(digits));

export interface Ratios {
  absorberVsFastify?: number;
  absorberVsNaive?: number;
  absorberVsBaseline?: number;
  /** Requests per CPU-second (server + its redis-server), absorber over each other server. */
  cpuEfficiency: Record<string, number>;
}

export function ratios(summary: ServerFigures[]): Ratios {
  const rps = (key: string) => summary.find((s) => s.key === key)?.rps;
  const a = rps('absorber');
  const f = rps('fastify');
  const n = rps('naive');
  const b = rps('baseline');
  const cpu = (key: string) => {
    const c = summary.find((s) => s.key === key)?.cpuMsPer1k;
    return c && Number.isFinite(c.server + c.redis) ? c.server + c.redis : undefined;
  };
  const cpuEfficiency: Record<string, number> = {};
  const mine = cpu('absorber');
  for (const other of ['fastify', 'naive', 'baseline']) {
    const theirs = cpu(other);
    if (mine && theirs) cpuEfficiency[`absorber / ${other}, requests per CPU-second`] = theirs / mine;
  }
  return {
    cpuEfficiency,
    absorberVsBaseline: a !== undefined && b ? a / b : undefined,
    absorberVsFastify: a !== undefined && f ? a / f : undefined,
    absorberVsNaive: a !== undefined && n ? a / n : undefined,
  };
}

function lossCell(s: ServerFigures & { lostAllRounds?: number }): string {
  if (!s.loss) return 'n/a (stores nothing)';
  const exact = s.loss.measuredExact ? 'exact' : 'NOT exact';
  if (s.sqs) return `${s.loss.acked} / ${s.loss.stored} rows / ${s.lostAllRounds ?? s.loss.lost} / ${s.loss.extra} (${exact})`;
  return `${s.loss.acked} / ${s.loss.stored} in ${s.loss.jobs} jobs / ${s.lostAllRounds ?? s.loss.lost} / ${s.loss.extra} (${exact})`;
}

export function markdown(result: HttpBenchResult, args: BenchArgs, at: string, m: ReturnType<typeof machine>): string {
  const r = ratios(result.summary);
  const absorber = result.summary.find((s) => s.key === 'absorber');
  const lines = [
    `# Ingest benchmark, ${at}`,
    '',
    `${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, 1-min load average ${m.loadavg1m} before the run (the machine is shared).`,
    `autocannon, ${args.connections} connections, ~300-byte event, ${args.warmup} s warm-up, then ~${args.duration} s measured` +
      ` (an exact request count), ${args.rounds} round(s), median round shown; driver ${args.driver}; Redis AOF ${args.aof ? 'on' : 'off'}.`,
    `The absorber ran with the deployed NODE_OPTIONS (docker-compose.yml): \`${deployedNodeArgs().join(' ') || 'none'}\`${args.nodeArgs.length ? `, then \`${args.nodeArgs.join(' ')}\`` : ''}.`,
    '',
    `| server | rps | p50 ms | p99 ms | errors | RSS peak MB | CPU ms per 1k requests (server + ${args.driver === 'sqs' ? 'its broker: fauxqs or redis' : 'redis'}) | measured 2xx / added / lost / extra |`,
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...result.summary.map(
      (s) =>
        `| ${s.label} | ${fmt(s.rps)} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${s.errors} | ${fmt(s.rssPeakMb)} | ` +
        `${s.cpuMsPer1k ? `${fmt(s.cpuMsPer1k.server)} + ${fmt(s.cpuMsPer1k.redis)}` : '-'} | ${lossCell(s)} |`,
    ),
    '',
  ];
  if (r.absorberVsFastify !== undefined) lines.push(`- absorber / bare Fastify, rps: **${fmt(r.absorberVsFastify, 2)}x** (goal >= 0.75)`);
  if (r.absorberVsNaive !== undefined) lines.push(`- absorber / naive peer, rps: **${fmt(r.absorberVsNaive, 2)}x** (goal >= 4)`);
  if (r.absorberVsBaseline !== undefined) lines.push(`- absorber / its earlier build, rps: **${fmt(r.absorberVsBaseline, 2)}x**`);
  for (const [name, value] of Object.entries(r.cpuEfficiency)) lines.push(`- ${name}: **${fmt(value, 2)}x**`);
  const fastify = result.summary.find((s) => s.key === 'fastify');
  if (absorber) {
    const vs = (a?: number, b?: number) => (a !== undefined && b ? ` (${fmt(a / b, 2)}x bare Fastify's)` : '');
    lines.push(
      `- absorber p99: **${fmt(absorber.p99, 1)} ms**${vs(absorber.p99, fastify?.p99)} (goal <= 1.5x), ` +
        `RSS peak **${fmt(absorber.rssPeakMb)} MB**${vs(absorber.rssPeakMb, fastify?.rssPeakMb)} (goal <= 1.3x and <= 256 MB)`,
    );
  }
  if (absorber?.sqs) lines.push('', ...sqsLines(absorber.sqs));
  lines.push(
    '',
    '"measured 2xx / added / lost / extra": the measured window\'s 2xx answers, the events it added to Redis (counted',
    'inside the jobs), acknowledged events it did not add ("lost", summed over every round) and events added without a 2xx',
    '("extra"). "exact": added equals 2xx, one for one; anything else fails the run (exit code 1). The warm-up is left',
    'out: its clock cuts requests off mid-flight (stored, never answered), and each would hide one loss.',
    '"CPU ms per 1k requests": CPU time the server process and the redis-server',
    'used in the measured window per 1000 answers (from /proc); when the load generator, not the server, sets the pace',
    '(the fast servers on a busy 2-CPU box), this is the fairer comparison. Figures are from one run on a shared',
    'machine: compare within it, not across runs.',
    '',
  );
  return lines.join('\n');
}

/** SQS API calls of the absorber's median round, counted by the emulator (bench/sqs/emulator.ts). */
function sqsLines(sqs: NonNullable<ServerFigures['sqs']>): string[] {
  return [
    `SQS API calls, absorber (median round), counted by the emulator from absorber start until one worker (WORKER_CONCURRENCY`,
    `per lane as --concurrency) had drained every event into Postgres (${sqs.drainSeconds.toFixed(1)} s after the load stopped):`,
    '',
    `- send + receive + delete: **${sqs.corePerEvent.toFixed(3)} calls per event** (one call per step per event would be 3.0)`,
    `- every SQS/S3 call (startup, readiness, heartbeats included): ${sqs.allPerEvent.toFixed(3)} per event`,
    '',
    '| call | count |',
    '|---|---:|',
    ...Object.entries(sqs.calls)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `| ${k} | ${v} |`),
    '',
    'With SQS, "in broker" is processed_events rows of the run\'s own event types after the drain (a queue cannot be',
    'read without consuming it); "exact": the measured window\'s own types have exactly as many rows as it got 2xx answers.',
    'The naive peer is the BullMQ one the issue names, on the bench\'s redis-server, in the same run.',
  ];
}

export function writeHttpResults(result: HttpBenchResult, args: BenchArgs, m: ReturnType<typeof machine>): string[] {
  const at = new Date().toISOString();
  mkdirSync(args.outDir, { recursive: true });
  const base = join(args.outDir, `http-${args.driver}`);
  const json = { at, machine: m, options: args, ratios: ratios(result.summary), ...result };
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown(result, args, at, m));
  writeFileSync(`${base}.svg`, renderPlot(result.summary, `Ingest, ${args.connections} connections, ${at.slice(0, 16)}Z`));
  return [`${base}.json`, `${base}.md`, `${base}.svg`];
}
