import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchArgs } from './args';
import { RateFigures } from './fixed-rate';
import { machine } from './report';
import { deployedNodeArgs } from './servers';

const f = (n: number | undefined, d = 1) => (n === undefined ? '-' : n.toFixed(d));

function gcCell(g: RateFigures['inside']): string {
  if (!g) return '-';
  return Object.entries(g.gc)
    .filter(([, v]) => v.count)
    .map(([k, v]) => `${k} ${v.count}x, ${f(v.totalMs, 0)} ms, max ${f(v.maxMs)}`)
    .join('; ');
}

/** The fixed-rate table: per server its median round by p99, every round listed below it. */
export function rateMarkdown(summary: RateFigures[], rounds: Record<string, RateFigures[]>, args: BenchArgs, at: string, m: ReturnType<typeof machine>, problems: string[]): string {
  const a = summary.find((s) => s.key === 'absorber');
  const b = summary.find((s) => s.key === 'fastify');
  const row = (s: RateFigures) => {
    const e = s.inside?.eventLoopDelayMs;
    const loss = s.loss ? `${s.loss.acked} / ${s.loss.rows} / ${s.loss.lost} / ${s.loss.extra} / ${s.loss.applied}` : 'n/a';
    return (
      `| ${s.label} | ${s.ok2xx}/${s.sent}${s.unknown ? ` (${s.unknown} unknown: no answer or 504)` : ''} | ${f(s.latencyMs.p50)} | **${f(s.latencyMs.p99)}** | ${f(s.latencyMs.p999)} | ${f(s.latencyMs.max)} | ${s.byKey ? `${f(s.byKey.keyed.p50)} / ${f(s.byKey.keyed.p99)}; ${f(s.byKey.plain.p50)} / ${f(s.byKey.plain.p99)}` : '-'} | ` +
      `${e ? `${f(e.p50)} / ${f(e.p99)} / ${f(e.max)}` : '-'} | ${gcCell(s.inside)} | ${s.rssMb.start ?? '-'} / ${s.rssMb.peak ?? '-'} / ${s.rssMb.end ?? '-'} | ${f(s.cpuMsPer1k, 0)} | ${s.maxSendLagMs} | ${s.fsync ? `${s.fsync.maxMs} (${s.fsync.secondsOver1ms})` : '-'} | ${s.jobs ? `${s.jobs.jobs} (${f(s.jobs.eventsPerJob)})` : '-'} | ${loss} |`
    );
  };
  const header = [
    '| server | 202 / sent | p50 ms | p99 ms | p99.9 ms | max ms | p50 / p99 ms: keyed (1 in 10); without a key | event-loop delay p50 / p99 / max ms (inside) | GC in the window (inside) | RSS MB start / peak / end | CPU ms per 1k | generator lag max ms | Redis fsync max ms (seconds >= 1 ms) | BullMQ jobs, warm-up and window (events per job) | 202 / rows / lost / extra / applied |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|',
  ];
  const lines = [
    `# Fixed rate, ${at}`,
    '',
    `${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, 1-min load average ${m.loadavg1m} before the run (the machine is shared).`,
    `Open model: **${args.rate} requests/s** offered to each server (~300-byte event, 6/2/2 normal/critical/low, 1 in 10 with an`,
    `Idempotency-Key), ${args.warmup} s warm-up at the rate, then ${args.rateSeconds} s measured; latency from each request's scheduled`,
    args.rateWorker
      ? `arrival. One worker (WORKER_CONCURRENCY=${args.concurrency}) drains into Postgres on the same CPUs (idle in Fastify's run).`
      : 'arrival. No worker during the window (--no-worker): one drains the events afterwards, for the count.',
    `${args.rounds} round(s), interleaved; per server the median round by p99.`,
    `Both builds of the absorber ran with the deployed NODE_OPTIONS (docker-compose.yml): \`${deployedNodeArgs().join(' ') || 'none'}\`${args.nodeArgs.length ? `; this build also with \`${args.nodeArgs.join(' ')}\`` : ''}.`,
    '',
    ...header,
    ...summary.map(row),
    '',
  ];
  if (a && b) {
    lines.push(
      `- absorber p99 **${f(a.latencyMs.p99)} ms** (goal <= 10) beside bare Fastify's ${f(b.latencyMs.p99)} ms: ${f(a.latencyMs.p99 / b.latencyMs.p99, 2)}x`,
      `- absorber RSS peak ${a.rssMb.peak ?? '-'} MB, bare Fastify ${b.rssMb.peak ?? '-'} MB: ${a.rssMb.peak && b.rssMb.peak ? f(a.rssMb.peak / b.rssMb.peak, 2) : '-'}x (goal <= 1.3x and <= 256 MB)`,
    );
  }
  const base = summary.find((s) => s.key === 'baseline');
  if (a && base) {
    lines.push(`- this build's p99 ${f(a.latencyMs.p99)} ms beside the earlier build's ${f(base.latencyMs.p99)} ms; event-loop delay p99 ${f(a.inside?.eventLoopDelayMs.p99)} against ${f(base.inside?.eventLoopDelayMs.p99)} ms`);
  }
  lines.push('', '## Every round', '', ...header, ...Object.values(rounds).flat().map(row), '');
  lines.push(
    '"202 / rows / lost / extra / applied": the window\'s 202 answers, processed_events rows of its own event types after the',
    'worker drained them, 202 ids with no row, rows beyond the 202s and the requests whose outcome is unknown (no answer in',
    '10 s, or a 504: the event may be held, and the sender would retry it), and applications the worker counted (a repeat',
    'would count twice). Any loss, extra or repeat fails the run. Event-loop delay and GC come from inside each server',
    '(`bench/eld-preload.ts`, `monitorEventLoopDelay` at 1 ms resolution and `gc` performance entries). "Redis fsync": the',
    'bench\'s redis-server (AOF, appendfsync always, as in compose) timing its own fsyncs (`LATENCY HISTORY aof-fsync-always`),',
    'the worst per second; a 202 waits for the fsync of its write.',
  );
  for (const p of problems) lines.push('', `**LOSS CHECK FAILED**: ${p}`);
  return `${lines.join('\n')}\n`;
}

export function writeRateResults(summary: RateFigures[], rounds: Record<string, RateFigures[]>, args: BenchArgs, m: ReturnType<typeof machine>, problems: string[]): string[] {
  const at = new Date().toISOString();
  mkdirSync(args.outDir, { recursive: true });
  const base = join(args.outDir, `fixed-rate-${args.driver}`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ at, machine: m, options: args, summary, rounds, problems }, null, 2)}\n`);
  writeFileSync(`${base}.md`, rateMarkdown(summary, rounds, args, at, m, problems));
  return [`${base}.json`, `${base}.md`];
}
