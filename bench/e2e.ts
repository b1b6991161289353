import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { BenchArgs } from './args';
import { flushOwnRedis } from './broker-count';
import { requestMix, runLoad } from './load';
import { Child, freePort, sampleRss, sleep, startNode } from './processes';
import { machine } from './report';
import { ABSORBER_PREFIX, absorberEnv } from './servers';
import { workerCounters } from './worker-metrics';

const LANES = ['critical', 'normal', 'low'];
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Jobs not yet completed on every lane; completed jobs are removed only after their commit. */
async function pendingJobs(redis: IORedis): Promise<number> {
  const pipeline = redis.pipeline();
  for (const lane of LANES) {
    const base = `${ABSORBER_PREFIX}:${lane}`;
    pipeline.llen(`${base}:wait`).llen(`${base}:active`).zcard(`${base}:delayed`).zcard(`${base}:prioritized`).llen(`${base}:paused`);
  }
  return ((await pipeline.exec()) ?? []).reduce((n, [, v]) => n + Number(v), 0);
}

async function waitUntilDrained(redis: IORedis, maxSeconds: number): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  while (Date.now() < deadline) {
    if ((await pendingJobs(redis)) === 0) return performance.now();
    await sleep(50);
  }
  throw new Error(`workers did not drain the queues within ${maxSeconds} s`);
}

async function startWorkers(args: BenchArgs, redisUrl: string): Promise<Array<Child & { port: number }>> {
  const workers: Array<Child & { port: number }> = [];
  for (let i = 0; i < args.workers; i++) {
    const port = await freePort();
    const env = { ...absorberEnv(args.driver, redisUrl, port), WORKER_HEALTH_PORT: String(port), WORKER_CONCURRENCY: String(args.concurrency) };
    const worker = startNode(`worker-${i}`, 'dist/apps/worker/src/main.js', env);
    await worker.waitForPort(port);
    workers.push(Object.assign(worker, { port }));
  }
  // Listening comes before the consumers start; give them the moment they need.
  await sleep(1000);
  return workers;
}

/**
 * Ingest -> BullMQ -> worker processes -> Postgres, two phases against one absorber:
 *   A. workers running while N events are posted: the sustained end-to-end rate, everything
 *      (load generator, absorber, Redis, workers, Postgres) sharing the machine's CPUs;
 *   B. N events posted while the lanes are paused (workers up, idle), then resumed: the workers'
 *      drain rate alone.
 * Events go in `--batch` per request (the batch route; 1 means the single-event route), so the
 * HTTP request rate does not cap what the workers are shown.
 * Rows are counted in Postgres at the end (each run's event types are unique), then removed.
 */
export async function runE2e(options: BenchArgs, redisUrl: string, log: (line: string) => void): Promise<void> {
  const args = { ...options, batch: options.batch ?? 100 };
  const run = randomBytes(3).toString('hex');
  const types = (i: number) => (i === 3 || i === 7 ? `payment.e2e${run}` : i === 5 || i === 8 ? `analytics.e2e${run}` : `order.e2e${run}`);
  const allTypes = [`payment.e2e${run}`, `analytics.e2e${run}`, `order.e2e${run}`];
  await flushOwnRedis(redisUrl);
  const redis = new IORedis(redisUrl);
  const db = new Pool({ connectionString: DATABASE_URL, max: 2 });
  const port = await freePort();
  const absorber = startNode('absorber', 'dist/apps/absorber/src/main.js', absorberEnv(args.driver, redisUrl, port));
  let workers: Array<Child & { port: number }> = [];
  const url = `http://127.0.0.1:${port}`;
  const queues = LANES.map((lane) => new Queue(lane, { connection: redis, prefix: ABSORBER_PREFIX }));
  // Idempotency keys carry the phase, so phase B's keyed requests are new events, not repeats.
  const post = async (phase: string) => {
    const figures = await runLoad({
      url,
      // 100 connections each holding 100 events would only queue up inside the absorber.
      connections: args.batch > 1 ? Math.min(args.connections, 16) : args.connections,
      requests: requestMix(`${run}-${phase}`, types, args.batch),
      amount: Math.ceil(args.events / args.batch),
      maxSeconds: 600,
    });
    return { ...figures, events: figures.ok2xx * args.batch, eventsPerSecond: figures.rps * args.batch };
  };
  try {
    await absorber.waitForPort(port);
    const m = machine();

    log(`e2e phase A: ${args.workers} worker process(es), concurrency ${args.concurrency} per lane, posting ${args.events} events ...`);
    workers = await startWorkers(args, redisUrl);
    const rss = sampleRss(absorber);
    const startA = performance.now();
    const ingestA = await post('a');
    const doneA = await waitUntilDrained(redis, 600);
    const absorberRssMb = rss.stop();
    const secondsA = (doneA - startA) / 1000;
    log(
      `  ingest ${Math.round(ingestA.eventsPerSecond)} events/s in ${Math.round(ingestA.rps)} rps (${ingestA.errors} errors),` +
        ` all committed after ${secondsA.toFixed(1)} s: ${Math.round(ingestA.events / secondsA)} events/s end to end`,
    );

    log(`e2e phase B: posting ${args.events} events to paused lanes, then resuming them ...`);
    await Promise.all(queues.map((q) => q.pause()));
    const ingestB = await post('b');
    const startB = performance.now();
    await Promise.all(queues.map((q) => q.resume()));
    const secondsB = ((await waitUntilDrained(redis, 600)) - startB) / 1000;
    log(`  backlog of ${ingestB.events} events drained in ${secondsB.toFixed(1)} s: ${Math.round(ingestB.events / secondsB)} events/s`);

    const acked = ingestA.events + ingestB.events;
    const { rows } = await db.query<{ processed: string; stored: string }>(
      `SELECT (SELECT count(*) FROM processed_events WHERE type = ANY($1)) AS processed,
              (SELECT count(*) FROM events WHERE type = ANY($1)) AS stored`,
      [allTypes],
    );
    const processed = Number(rows[0].processed);
    const stored = Number(rows[0].stored);
    // Applications counted where no unique key folds a repeat into one row: the workers' counters.
    const counters = await workerCounters(workers.map((w) => w.port));
    const applied = counters.processed;
    log(
      `  2xx answers ${acked}, processed_events rows ${processed}, events rows ${stored},` +
        ` applications counted by the workers ${applied}, failed deliveries ${counters.failedDeliveries}`,
    );
    const result = {
      at: new Date().toISOString(),
      machine: m,
      options: args,
      phaseA: {
        events: ingestA.events,
        ingestRps: ingestA.rps,
        ingestEventsPerSecond: ingestA.eventsPerSecond,
        ingestP99: ingestA.p99,
        errors: ingestA.errors,
        seconds: secondsA,
        eventsPerSecond: ingestA.events / secondsA,
        absorberRssPeakMb: absorberRssMb,
      },
      phaseB: { events: ingestB.events, ingestRps: ingestB.rps, drainSeconds: secondsB, eventsPerSecond: ingestB.events / secondsB },
      check: { acked, processed, stored, applied, failedDeliveries: counters.failedDeliveries, lost: Math.max(0, acked - processed), extra: Math.max(0, processed - acked) },
    };
    mkdirSync(args.outDir, { recursive: true });
    const base = join(args.outDir, `e2e-${args.driver}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`${base}.md`, e2eMarkdown(result));
    log(`written: ${base}.json, ${base}.md`);
    // Exact: every 2xx processed once, nothing processed without one, each applied once, no failure.
    const exact = processed === acked && stored === acked && applied === acked && counters.failedDeliveries === 0;
    if (!exact) {
      log(`CHECK FAILED: want ${acked} processed, stored and applied with 0 failed deliveries`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await absorber.stop();
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    // The bench's own rows only (its event types are unique to this run); shared tables stay.
    await db.query('DELETE FROM events WHERE type = ANY($1)', [allTypes]).catch(() => undefined);
    await db.query('DELETE FROM processed_events WHERE type = ANY($1)', [allTypes]).catch(() => undefined);
    await db.end();
  }
}

function e2eMarkdown(r: {
  at: string;
  machine: ReturnType<typeof machine>;
  options: BenchArgs;
  phaseA: { events: number; ingestRps: number; ingestEventsPerSecond: number; seconds: number; eventsPerSecond: number; absorberRssPeakMb?: number };
  phaseB: { events: number; drainSeconds: number; eventsPerSecond: number };
  check: { acked: number; processed: number; stored: number; applied: number; failedDeliveries: number; lost: number; extra: number };
}): string {
  const o = r.options;
  return [
    `# Ingest -> worker -> Postgres, ${r.at}`,
    '',
    `${r.machine.cpus} CPUs, Node ${r.machine.node}, load average ${r.machine.loadavg1m} before the run (shared machine).`,
    `${o.workers} worker process(es), WORKER_CONCURRENCY=${o.concurrency}, ${o.batch} event(s) per request, up to ${o.connections} connections, driver ${o.driver}.`,
    '',
    '| phase | events | seconds | events/s |',
    '|---|---:|---:|---:|',
    `| A: posting while workers run (end to end) | ${r.phaseA.events} | ${r.phaseA.seconds.toFixed(1)} | **${Math.round(r.phaseA.eventsPerSecond)}** |`,
    `| B: workers draining a backlog | ${r.phaseB.events} | ${r.phaseB.drainSeconds.toFixed(1)} | **${Math.round(r.phaseB.eventsPerSecond)}** |`,
    '',
    `Phase A ingest: ${Math.round(r.phaseA.ingestEventsPerSecond)} events/s (${Math.round(r.phaseA.ingestRps)} requests/s); absorber RSS peak ${r.phaseA.absorberRssPeakMb?.toFixed(0) ?? '-'} MB.`,
    `Check: ${r.check.acked} answered 2xx, ${r.check.processed} processed_events rows, ${r.check.stored} events rows,` +
      ` ${r.check.applied} applications counted by the workers (a repeat would count twice), ${r.check.failedDeliveries} failed deliveries,` +
      ` ${r.check.lost} lost, ${r.check.extra} processed without a 2xx.`,
    '',
  ].join('\n');
}
