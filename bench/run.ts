/**
 * `npm run bench`: the ingest benchmark, in one run on this machine, against its own redis-server.
 *   (default)   absorber vs bare Fastify vs naive Nest/Express peer: rps, p50/p99, loss check
 *   --profile   the absorber alone under the same load with --cpu-prof, summarized by owner
 *   --e2e       post N events, measure how fast workers turn them into processed_events rows
 *   --driver sqs  the default mode with the absorber on SQS: its own fauxqs, SQS API calls per event
 *   --idle      broker calls a minute of an absorber and a worker at rest, BullMQ and SQS side by side
 *   --fixed-rate  only the fixed-rate run (the default mode runs it after the saturation run, BullMQ)
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchArgs, parseArgs } from './args';
import { runE2e } from './e2e';
import { runIdle } from './idle';
import { summarizeProfile } from './profile';
import { killChildren, ROOT, startRedis } from './processes';
import { machine, ratios, writeHttpResults } from './report';
import { serverSpecs } from './servers';
import { startEmulator } from './sqs/fauxqs';
import { BenchLedger } from './sqs/ledger';
import { Brokers, lossProblem, measureServer, runHttpBench } from './throughput';
import { runRateBench } from './fixed-rate';
import { writeRateResults } from './rate-report';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function http(args: BenchArgs, brokers: Brokers): Promise<void> {
  const m = machine();
  const specs = serverSpecs(args.driver, args.baselineDist, args.nodeArgs).filter((s) => s.key === 'baseline' || args.servers.includes(s.key));
  const result = await runHttpBench(args, specs, brokers, log);
  const files = writeHttpResults(result, args, m);
  log('');
  console.table(
    result.summary.map((s) => ({
      server: s.key,
      rps: Math.round(s.rps),
      'p50 ms': s.p50,
      'p99 ms': s.p99,
      errors: s.errors,
      'RSS MB': s.rssPeakMb === undefined ? '-' : Math.round(s.rssPeakMb),
      'CPU ms/1k req': s.cpuMsPer1k ? Math.round(s.cpuMsPer1k.server) : '-',
      '+broker': s.cpuMsPer1k ? Math.round(s.cpuMsPer1k.redis) : '-',
      '2xx': s.loss?.acked ?? s.ok2xx,
      'in broker/ledger': s.loss?.stored ?? '-',
      'SQS calls/event': s.sqs ? s.sqs.corePerEvent.toFixed(3) : '-',
      lost: s.lostAllRounds ?? '-',
    })),
  );
  const r = ratios(result.summary);
  if (r.absorberVsFastify !== undefined) log(`absorber / bare Fastify: ${r.absorberVsFastify.toFixed(2)}x (goal >= 0.75)`);
  if (r.absorberVsNaive !== undefined) log(`absorber / naive peer:   ${r.absorberVsNaive.toFixed(2)}x (goal >= 4)`);
  if (r.absorberVsBaseline !== undefined) log(`absorber / earlier build: ${r.absorberVsBaseline.toFixed(2)}x`);
  for (const [name, value] of Object.entries(r.cpuEfficiency)) log(`${name}: ${value.toFixed(2)}x`);
  log(`written: ${files.join(', ')}`);
  for (const problem of result.problems) log(`LOSS CHECK FAILED: ${problem}`);
  if (result.problems.length) process.exitCode = 1;
}

/** Absorber and bare Fastify at the same offered rate, a worker draining on the same box (BullMQ). */
async function fixedRate(args: BenchArgs, brokers: Brokers): Promise<void> {
  const m = machine();
  // --baseline adds the earlier build beside this one (without --node-args: so one run also
  // compares a V8 flag against none); --servers may leave bare Fastify or the absorber out.
  const specs = serverSpecs('bullmq', args.baselineDist, []).filter((s) => s.key === 'baseline' || (s.key !== 'naive' && args.servers.includes(s.key)));
  const ledger = brokers.sqs?.ledger ?? new BenchLedger();
  try {
    const { summary, rounds, problems } = await runRateBench(args, specs, brokers.redis.url, ledger, log);
    log('');
    console.table(
      summary.map((s) => ({
        server: s.key,
        'p50 ms': s.latencyMs.p50,
        'p99 ms': s.latencyMs.p99,
        'p99.9 ms': s.latencyMs.p999,
        'max ms': s.latencyMs.max,
        'ELD p99 ms': s.inside?.eventLoopDelayMs.p99 ?? '-',
        'ELD max ms': s.inside?.eventLoopDelayMs.max ?? '-',
        'RSS peak MB': s.rssMb.peak ?? '-',
        '202': s.ok2xx,
        lost: s.loss?.lost ?? '-',
      })),
    );
    log(`written: ${writeRateResults(summary, rounds, args, m, problems).join(', ')}`);
    for (const problem of problems) log(`LOSS CHECK FAILED: ${problem}`);
    if (problems.length) process.exitCode = 1;
  } finally {
    if (!brokers.sqs) await ledger.close();
  }
}

async function profile(args: BenchArgs, brokers: Brokers): Promise<void> {
  const dir = join(ROOT, 'bench', 'results', 'tmp', `profile-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const absorber = serverSpecs(args.driver, undefined, args.nodeArgs).find((s) => s.key === 'absorber')!;
  log(`profiling ${absorber.label} (${args.warmup} s warm-up + ~${args.duration} s; profiling slows it, figures are not comparable)`);
  const figures = await measureServer(absorber, args, brokers, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  log(`  ${Math.round(figures.rps)} rps under the profiler, p99 ${figures.p99} ms, lost ${figures.loss?.lost}`);
  const problem = lossProblem(figures.loss);
  if (problem) {
    log(`LOSS CHECK FAILED: ${problem}`);
    process.exitCode = 1;
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const summary = summarizeProfile(join(dir, file), figures.windowUs);
  mkdirSync(args.outDir, { recursive: true });
  const out = join(args.outDir, `profile-absorber-${args.driver}.md`);
  writeFileSync(out, `# Absorber CPU profile, ${new Date().toISOString()}\n\n${Math.round(figures.rps)} rps under the profiler.\n\n${summary}`);
  log(summary);
  log(`written: ${out} (raw profile: ${join(dir, file)}, open it in Chrome DevTools)`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.driver === 'sqs' && args.mode === 'e2e') {
    // runE2e pauses and counts BullMQ queues; the SQS figures of its kind come from the drain in the default mode.
    log('--e2e --driver sqs: not available (the e2e mode pauses BullMQ lanes); `--driver sqs` alone drains through a worker.');
    process.exitCode = 2;
    return;
  }
  process.on('SIGINT', () => {
    killChildren();
    process.exit(130);
  });
  if (args.mode === 'idle') {
    // Its own brokers (a Redis per driver, fauxqs), whatever --driver says: both drivers are counted.
    await runIdle(args, log);
    return;
  }
  const redis = await startRedis(args.aof);
  log(`own redis-server on ${redis.url} (AOF ${args.aof ? 'appendfsync always' : 'off'}); 2 CPUs shared, compare within this run only`);
  // The naive peer stays on BullMQ, so Redis runs with either driver.
  const brokers: Brokers = { redis };
  try {
    if (args.driver === 'sqs') {
      const emulator = await startEmulator();
      brokers.sqs = { emulator, ledger: new BenchLedger() };
      log(`own fauxqs on ${emulator.url} (in memory; fresh queues per measurement, drained by one worker into Postgres)`);
    }
    if (args.mode === 'http') {
      await http(args, brokers);
      // The fixed-rate run is BullMQ's (its worker drains through the bench's Redis); --rate 0 skips it.
      if (args.rate > 0 && args.driver === 'bullmq') await fixedRate(args, brokers);
    } else if (args.mode === 'rate') await fixedRate(args, brokers);
    else if (args.mode === 'profile') await profile(args, brokers);
    else await runE2e(args, redis.url, log);
  } finally {
    await brokers.sqs?.emulator.stop();
    await brokers.sqs?.ledger.close();
    await redis.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  killChildren();
  process.exit(1);
});
