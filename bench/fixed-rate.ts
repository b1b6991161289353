// The fixed-rate run (issue 35): the absorber and bare Fastify each offered the same open-model
// rate (arrivals on a schedule, never waiting for answers), a worker draining into Postgres on the
// same box, latency timed from each request's scheduled arrival. Event-loop delay and GC pauses come
// from inside each server (bench/eld-preload.ts); RSS from /proc. Nothing lost or doubled: the
// window's 202s must equal the processed_events rows of its own event types, and the worker's
// applications must equal those rows with no failed delivery.
import IORedis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchArgs } from './args';
import { flushOwnRedis } from './broker-count';
import { API_KEY, defaultType, eventBody } from './load';
import { Child, freePort, ROOT, sleep, startNode } from './processes';
import { ABSORBER_PREFIX, absorberEnv, ServerSpec } from './servers';
import { BenchLedger, startWorker, waitForLedger } from './sqs/ledger';
import { workerCounters } from './worker-metrics';

export interface InsideFigures {
  eventLoopDelayMs: { p50: number; p99: number; p999: number; max: number; mean: number };
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  heapUsedMb: number;
  heapTotalMb: number;
}

export interface RateFigures {
  key: string;
  label: string;
  rate: number;
  seconds: number;
  sent: number;
  ok2xx: number;
  errors: number;
  /** Of the errors, requests whose outcome is unknown: no answer at all (a 10 s timeout or a reset) or a 504. */
  unknown: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  /**
   * The same split by whether the request carried an Idempotency-Key (1 in 10): a keyed request
   * takes the idempotency store's round trips besides the enqueue, so the tail may be theirs.
   */
  byKey?: { keyed: { p50: number; p99: number; max: number }; plain: { p50: number; p99: number; max: number } };
  /** How far the generator fell behind its own schedule (it shares the CPUs): counted in latency. */
  maxSendLagMs: number;
  inside?: InsideFigures;
  /** RSS after warm-up, the window's peak, and at its end (MB): flat across a soak means end ~ start. */
  rssMb: { start?: number; peak?: number; end?: number; series: number[] };
  cpuMsPer1k?: number;
  /**
   * Redis's own fsync waits in the window (LATENCY HISTORY aof-fsync-always, threshold 1 ms): with
   * appendfsync always a 202 waits for one, so a slow fsync is a slow answer.
   */
  fsync?: { maxMs: number; secondsOver1ms: number; worst: number[] };
  /**
   * The absorber's BullMQ jobs over warm-up and window (each lane's job-id counter) and events per
   * job: every job is a Lua script to add, and a fetch, a move and a Postgres transaction for the
   * worker, so a job per event makes the worker's share of the two CPUs large.
   */
  jobs?: { jobs: number; eventsPerJob: number };
  /** lost: 202 ids with no row; extra: rows beyond the 202s' and the unknown outcomes' (a timeout or 504 may have been held; a refusal may not). */
  loss?: { acked: number; rows: number; applied: number; failedDeliveries: number; lost: number; extra: number };
}

interface OpenLoadResult {
  latencies: Float64Array;
  /** 1 where the request carried an Idempotency-Key. */
  keyed: Uint8Array;
  sent: number;
  ok2xx: number;
  errors: number;
  /** Requests whose outcome the sender cannot know: no answer (timed out, reset) or 504 (outcome unknown). */
  unknown: number;
  statuses: Record<string, number>;
  maxSendLagMs: number;
  /** The event id each 202 named. */
  ids: string[];
}

/**
 * Arrivals at `rate` per second for `seconds`, each sent at its scheduled time (a 1 ms timer sends
 * whatever is due), on keep-alive sockets opened as needed; each latency runs from the schedule.
 */
function openLoad(url: string, rate: number, seconds: number, body: (i: number) => string, key: (i: number) => string | undefined): Promise<OpenLoadResult> {
  const target = new URL('/v1/events', url);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  const keyed = new Uint8Array(total);
  let sent = 0;
  let settled = 0;
  let ok2xx = 0;
  let errors = 0;
  let unknown = 0;
  let maxSendLagMs = 0;
  const ids: string[] = [];
  const statuses: Record<string, number> = {};
  return new Promise((resolve) => {
    const start = performance.now();
    const finish = () => {
      if (++settled < total) return;
      agent.destroy();
      resolve({ latencies, keyed, sent, ok2xx, errors, unknown, statuses, maxSendLagMs, ids });
    };
    const send = (i: number, scheduledAt: number) => {
      const payload = body(i);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), authorization: `Bearer ${API_KEY}` };
      const k = key(i);
      if (k) {
        headers['idempotency-key'] = k;
        keyed[i] = 1;
      }
      let done = false;
      const end = (ok: boolean, answered = true) => {
        if (done) return;
        done = true;
        latencies[i] = performance.now() - scheduledAt;
        if (ok) ok2xx++;
        else errors++;
        if (!answered) unknown++;
        finish();
      };
      const req = request(target, { method: 'POST', agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 202) ids.push((JSON.parse(text) as { id: string }).id);
          // 504: the broker did not answer in time, the event may still land (docs/delivery.md).
          end(status === 202, status !== 504);
        });
        res.on('error', () => end(false, false));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => end(false, false));
      req.end(payload);
    };
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        const scheduledAt = start + (sent * 1000) / rate;
        maxSendLagMs = Math.max(maxSendLagMs, now - scheduledAt);
        send(sent, scheduledAt);
      }
      if (sent >= total) clearInterval(timer);
    }, 1);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Asks the server for what it saw inside since the last ask (SIGUSR2 to bench/eld-preload.ts). */
async function askInside(child: Child, file: string): Promise<InsideFigures | undefined> {
  rmSync(file, { force: true });
  child.proc.kill('SIGUSR2');
  for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(20);
  await sleep(20);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as InsideFigures;
  } catch {
    return undefined;
  }
}

/**
 * One server at the fixed rate: start it (and, for a broker-backed server, one worker), warm up at
 * the rate, then measure `seconds` at the rate. Event types carry the run's id, so the loss check
 * counts only this window's rows; the bench deletes them afterwards.
 */
export async function measureAtRate(spec: ServerSpec, args: BenchArgs, redisUrl: string, ledger: BenchLedger, nodeArgs: string[] = []): Promise<RateFigures> {
  await flushOwnRedis(redisUrl);
  const run = randomBytes(4).toString('hex');
  const port = await freePort();
  const eldFile = join(tmpdir(), `spillway-bench-eld-${run}.json`);
  const env = { ...spec.env(redisUrl, port), BENCH_ELD_FILE: eldFile };
  const preload = ['--require', join(ROOT, 'dist/bench/eld-preload.js')];
  const broker = spec.stores === 'events';
  // The worker drains on the same CPUs (the setting); bare Fastify's run has it too, idle.
  const workerEnv = { ...absorberEnv('bullmq', redisUrl, 0), ...(broker ? {} : { QUEUE_PREFIX: `bench-idle-${run}` }), LOG_LEVEL: 'warn' };
  // --no-worker: the events stay in Redis during the window; a worker drains them afterwards for the count.
  let worker = args.rateWorker ? await startWorker(workerEnv, args.concurrency) : undefined;
  const child = startNode(spec.key, spec.script, env, [...preload, ...(spec.nodeArgs ?? []), ...nodeArgs]);
  if (args.logsDir) {
    // The whole output (the Child keeps only its tail): --trace-gc lines, with the window's edges marked.
    mkdirSync(args.logsDir, { recursive: true });
    const out = createWriteStream(join(args.logsDir, `${spec.key}-${run}.log`));
    child.proc.stdout?.pipe(out);
    child.proc.stderr?.pipe(out);
  }
  const typeOf = (phase: string) => (i: number) => `${defaultType(i % 10)}.${phase}${run}`;
  const types = (phase: string) => [...new Set(Array.from({ length: 10 }, (_, i) => typeOf(phase)(i)))];
  const bodies = (phase: string) => Array.from({ length: 10 }, (_, i) => eventBody(typeOf(phase)(i)));
  const keyOf = (phase: string) => (i: number) => (i % 10 === 9 ? `${run}${phase}-${i}` : undefined);
  try {
    await child.waitForPort(port);
    const warm = bodies('w');
    const warmLoad = await openLoad(`http://127.0.0.1:${port}`, args.rate, args.warmup, (i) => warm[i % 10], keyOf('w'));
    await askInside(child, eldFile); // starts the window's histogram
    const redis = new IORedis(redisUrl);
    await redis.config('SET', 'latency-monitor-threshold', '1');
    await redis.call('LATENCY', 'RESET');
    const rss: number[] = [];
    const rssStart = child.rssMb();
    const sampler = setInterval(() => {
      const mb = child.rssMb();
      if (mb !== undefined) rss.push(Math.round(mb));
    }, 1000);
    const cpuBefore = child.cpuSeconds();
    const measured = bodies('m');
    const load = await openLoad(`http://127.0.0.1:${port}`, args.rate, args.rateSeconds, (i) => measured[i % 10], keyOf('m'));
    const cpuAfter = child.cpuSeconds();
    clearInterval(sampler);
    const inside = await askInside(child, eldFile);
    // [unix seconds, worst ms in that second] for each second an fsync took 1 ms or more.
    const history = ((await redis.call('LATENCY', 'HISTORY', 'aof-fsync-always')) as [number, number][]).map(([, ms]) => ms);
    redis.disconnect();
    const rssEnd = child.rssMb();
    const sorted = load.latencies.slice().sort();
    const round = (v: number) => Math.round(v * 10) / 10;
    const part = (want: number) => {
      const s = load.latencies.filter((_, i) => load.keyed[i] === want).sort();
      return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s[s.length - 1] ?? 0) };
    };
    const figures: RateFigures = {
      key: spec.key,
      label: spec.label,
      rate: args.rate,
      seconds: args.rateSeconds,
      sent: load.sent,
      ok2xx: load.ok2xx,
      errors: load.errors,
      unknown: load.unknown,
      statuses: load.statuses,
      latencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), p999: round(percentile(sorted, 99.9)), max: round(sorted[sorted.length - 1] ?? 0) },
      byKey: { keyed: part(1), plain: part(0) },
      maxSendLagMs: Math.round(load.maxSendLagMs),
      inside,
      rssMb: { start: rssStart && Math.round(rssStart), peak: rss.length ? Math.max(...rss) : undefined, end: rssEnd && Math.round(rssEnd), series: rss },
      fsync: broker ? { maxMs: Math.max(0, ...history), secondsOver1ms: history.length, worst: [...history].sort((x, y) => y - x).slice(0, 5) } : undefined,
      cpuMsPer1k: cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1e6) / Math.max(load.sent, 1) : undefined,
    };
    if (broker) {
      const counter = new IORedis(redisUrl);
      // The lanes' names (libs/config's LANES; the bench's tsconfig builds bench/ alone).
      const ids = await counter.mget(['critical', 'normal', 'low'].map((lane) => `${ABSORBER_PREFIX}:${lane}:id`));
      counter.disconnect();
      const jobs = ids.reduce((n, v) => n + Number(v ?? 0), 0);
      figures.jobs = { jobs, eventsPerJob: Math.round(((warmLoad.ok2xx + load.ok2xx) / Math.max(jobs, 1)) * 10) / 10 };
      worker ??= await startWorker(workerEnv, args.concurrency);
      const acked = load.ok2xx;
      const all = [...types('w'), ...types('m')];
      await waitForLedger(ledger, types('w'), warmLoad.ok2xx + warmLoad.unknown, 5000);
      await waitForLedger(ledger, types('m'), acked + load.unknown, 5000);
      const rows = (await ledger.counts(types('m'))).processed;
      // By id, so an event dropped behind one 202 cannot be covered by one held behind a timeout or 504.
      const found = await ledger.countIds(load.ids);
      // The worker's counter covers the warm-up too: compare it with every row of the run.
      const allRows = rows + (await ledger.counts(types('w'))).processed;
      const counters = await workerCounters([worker!.port]);
      figures.loss = { acked, rows, applied: counters.processed - (allRows - rows), failedDeliveries: counters.failedDeliveries, lost: acked - found, extra: Math.max(0, rows - found - load.unknown) };
      await ledger.cleanUp(all, run);
    }
    return figures;
  } finally {
    await child.stop();
    await worker?.stop();
    rmSync(eldFile, { force: true });
  }
}

/** The run must fail on this: lost or extra events, or a worker that applied one twice. */
export function rateLossProblem(f: RateFigures): string | undefined {
  const l = f.loss;
  if (!l) return undefined;
  if (l.lost || l.extra) return `${l.lost} acknowledged event(s) missing, ${l.extra} row(s) without a 202`;
  if (l.applied !== l.rows || l.failedDeliveries) return `the worker applied ${l.applied} for ${l.rows} rows, ${l.failedDeliveries} failed deliveries`;
  return undefined;
}

/** Rounds interleaved (absorber, Fastify, absorber, ...); per server the median round by p99. */
export async function runRateBench(args: BenchArgs, specs: ServerSpec[], redisUrl: string, ledger: BenchLedger, log: (line: string) => void) {
  const rounds: Record<string, RateFigures[]> = {};
  const problems: string[] = [];
  for (let round = 1; round <= args.rounds; round++) {
    for (const spec of specs) {
      log(`fixed rate ${args.rate}/s, round ${round}/${args.rounds}: ${spec.label} ...`);
      const r = await measureAtRate(spec, args, redisUrl, ledger, spec.key === 'absorber' ? args.nodeArgs : []);
      const e = r.inside?.eventLoopDelayMs;
      log(
        `  ${r.ok2xx}/${r.sent} 202, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, p99.9 ${r.latencyMs.p999} ms, max ${r.latencyMs.max} ms` +
          (e ? `; event-loop delay p99 ${e.p99} ms, max ${e.max} ms` : '') +
          (r.byKey ? `; p99 keyed ${r.byKey.keyed.p99} ms, without a key ${r.byKey.plain.p99} ms` : '') +
          `; RSS ${r.rssMb.start}/${r.rssMb.peak}/${r.rssMb.end} MB; generator lag max ${r.maxSendLagMs} ms` +
          (r.jobs ? `; ${r.jobs.jobs} jobs, ${r.jobs.eventsPerJob} events per job` : '') +
          (r.loss ? `; rows ${r.loss.rows}, lost ${r.loss.lost}, extra ${r.loss.extra}, applied ${r.loss.applied}` : ''),
      );
      (rounds[spec.key] ??= []).push(r);
      const problem = rateLossProblem(r);
      if (problem) problems.push(`round ${round}, ${spec.label}: ${problem}`);
    }
  }
  const summary = specs.map((spec) => {
    const all = [...rounds[spec.key]].sort((a, b) => a.latencyMs.p99 - b.latencyMs.p99);
    return all[Math.floor(all.length / 2)];
  });
  return { summary, rounds, problems };
}
