import { randomBytes } from 'node:crypto';
import { BenchArgs } from './args';
import { countAbsorberEvents, countPeerJobs, flushOwnRedis } from './broker-count';
import { defaultType, LoadFigures, requestMix, runLoad } from './load';
import { Child, freePort, sampleRss, sleep, startNode } from './processes';
import { ABSORBER_PREFIX, ServerSpec } from './servers';
import { callDelta, CallCounts, ensureQueues, SqsEmulator } from './sqs/fauxqs';
import { BenchLedger, startWorker, waitForLedger } from './sqs/ledger';
import { workerCounters } from './worker-metrics';

/** What the servers of one run talk to: always a redis-server of the bench's own; with `--driver sqs` also fauxqs and the ledger. */
export interface Brokers {
  redis: { url: string; child: Child };
  sqs?: { emulator: SqsEmulator; ledger: BenchLedger };
}

/** SQS API calls of one absorber measurement, from absorber start to the worker having drained it. */
export interface SqsCalls {
  calls: CallCounts;
  /** SendMessage(Batch) + ReceiveMessage + DeleteMessage(Batch), per event that went through the queues. */
  corePerEvent: number;
  allPerEvent: number;
  drainSeconds: number;
}

/**
 * The loss check covers the measured window alone: it sends an exact number of requests and
 * waits for every answer, so what it added to the broker must equal its 2xx count, one for one.
 * The warm-up runs on a clock that cuts requests off mid-flight (stored, never answered); counting
 * it would let each such leftover cover one lost event, so it is reported, never netted.
 */
export interface LossCheck {
  /** 2xx answers in the measured window. */
  acked: number;
  /** Events the measured window added to the broker (read from Redis; with SQS: processed_events rows of its own types after a worker drained the queues). */
  stored: number;
  /** Jobs holding the broker's events afterwards (SQS: 0, not counted). */
  jobs: number;
  /** Acknowledged in the window but not added: must be 0. */
  lost: number;
  /** Added without a 2xx (a refusal that held its event, or an answer that timed out): must be 0. */
  extra: number;
  /** The window ran to its last answer and added exactly its 2xx count. */
  measuredExact: boolean;
  /** The warm-up, for information: its 2xx and what it left in the broker (cut-off requests included). */
  warmup: { acked: number; stored: number };
  /** SQS only: applications the draining worker counted (no unique key: a repeat counts twice) against processed_events rows, and its failed deliveries. */
  worker?: { applied: number; rows: number; failedDeliveries: number };
}

/** The run must fail on this: a loss, an extra, or a window that could not be counted exactly. */
export function lossProblem(loss: LossCheck | undefined): string | undefined {
  if (!loss) return undefined;
  if (loss.lost > 0) return `${loss.lost} acknowledged event(s) not in the broker`;
  if (loss.extra > 0) return `${loss.extra} event(s) in the broker without a 2xx answer`;
  if (!loss.measuredExact) return 'the measured window was cut short, so its count is not exact';
  if (loss.worker && (loss.worker.applied !== loss.worker.rows || loss.worker.failedDeliveries > 0)) {
    return `the worker applied ${loss.worker.applied} event(s) for ${loss.worker.rows} processed_events rows, with ${loss.worker.failedDeliveries} failed deliveries`;
  }
  return undefined;
}

function lossCheck(acked: number, stored: number, jobs: number, cutShort: boolean, warmup: { acked: number; stored: number }): LossCheck {
  return { acked, stored, jobs, lost: Math.max(0, acked - stored), extra: Math.max(0, stored - acked), measuredExact: !cutShort && stored === acked, warmup };
}

/**
 * The broker's (or ledger's) count once it stops moving, `still` readings `everyMs` apart: requests
 * the warm-up's clock cut off may still be landing. Gives up after 50 readings.
 */
async function settledCount(count: () => Promise<{ events: number; jobs: number }>, everyMs = 200, still = 1): Promise<{ events: number; jobs: number }> {
  let last = await count();
  let same = 0;
  for (let i = 0; i < 50; i++) {
    await sleep(everyMs);
    const now = await count();
    same = now.events === last.events ? same + 1 : 0;
    if (same >= still) return now;
    last = now;
  }
  return last;
}

export interface ServerFigures extends LoadFigures {
  key: string;
  label: string;
  warmupRps: number;
  rssPeakMb?: number;
  loss?: LossCheck;
  /**
   * CPU time per 1000 answered requests in the measured window: the server process, and the
   * redis-server. Unlike rps this barely depends on how much CPU the load generator and other
   * work on the machine leave over, so it compares servers fairly on a busy machine.
   */
  cpuMsPer1k?: { server: number; redis: number };
  /** The measured window on the monotonic clock (µs), which V8's CPU profiles also use. */
  windowUs: [number, number];
  sqs?: SqsCalls;
}

async function stored(spec: ServerSpec, redisUrl: string): Promise<{ events: number; jobs: number }> {
  if (spec.stores === 'events') return countAbsorberEvents(redisUrl, ABSORBER_PREFIX);
  if (spec.stores === 'jobs') {
    const jobs = await countPeerJobs(redisUrl);
    return { events: jobs, jobs };
  }
  return { events: 0, jobs: 0 };
}

/**
 * One server, one process: start it, warm up for `warmup` seconds, then send exactly as many
 * requests as the warm-up rate fills `duration` seconds with (so every answer is counted and the
 * broker must hold exactly that many more events), sampling its RSS meanwhile.
 * SQS (`stores: 'ledger'`): fresh queues per measurement; warm-up and measured window use event
 * types of their own; after the window the absorber stops and one worker drains the queues into
 * Postgres, where the rows of each type are counted. The emulator counts every API call meanwhile.
 */
export async function measureServer(spec: ServerSpec, args: BenchArgs, brokers: Brokers, nodeArgs: string[] = []): Promise<ServerFigures> {
  const redisUrl = brokers.redis.url;
  const sqs = spec.stores === 'ledger' ? brokers.sqs : undefined;
  if (spec.stores === 'ledger' && !sqs) throw new Error(`${spec.key} needs the SQS emulator`);
  await flushOwnRedis(redisUrl);
  const run = randomBytes(4).toString('hex');
  const port = await freePort();
  const sqsEnv: Record<string, string> = sqs ? { SQS_ENDPOINT: sqs.emulator.url, QUEUE_PREFIX: `bench-${run}` } : {};
  if (sqs) await ensureQueues(sqsEnv);
  const env = { ...spec.env(redisUrl, port), ...sqsEnv };
  const brokerChild = sqs ? sqs.emulator.child : brokers.redis.child;
  const callsAtStart = sqs ? await sqs.emulator.counts() : {};
  const child = startNode(spec.key, spec.script, env, [...(spec.nodeArgs ?? []), ...nodeArgs]);
  // Event types per phase (SQS only; the suffix keeps LANE_ROUTES' `payment.*` and `analytics.*` matching).
  const phaseTypes = (phase: string) => (i: number) => (sqs ? `${defaultType(i)}.${phase}${run}` : defaultType(i));
  const typesOf = (phase: string) => [...new Set(Array.from({ length: 10 }, (_, i) => phaseTypes(phase)(i)))];
  let worker: (Child & { port: number }) | undefined;
  try {
    await child.waitForPort(port);
    const url = `http://127.0.0.1:${port}`;
    const warm = await runLoad({ url, connections: args.connections, requests: requestMix(`${run}w`, phaseTypes('w'), args.batch ?? 1), duration: args.warmup });
    const before = await settledCount(() => stored(spec, redisUrl));
    const amount = Math.max(args.connections * 10, Math.round(warm.warmRps * args.duration));
    const rss = sampleRss(child);
    const cpuBefore = [child.cpuSeconds(), brokerChild.cpuSeconds()];
    const windowStart = Number(process.hrtime.bigint() / 1000n);
    const requests = requestMix(`${run}m`, phaseTypes('m'), args.batch ?? 1);
    const measured = await runLoad({ url, connections: args.connections, requests, amount, maxSeconds: args.duration * 3 + 10 });
    const windowUs: [number, number] = [windowStart, Number(process.hrtime.bigint() / 1000n)];
    const cpuAfter = [child.cpuSeconds(), brokerChild.cpuSeconds()];
    const rssPeakMb = rss.stop();
    const perK = (i: number) => (((cpuAfter[i] ?? NaN) - (cpuBefore[i] ?? NaN)) * 1e6) / Math.max(measured.requests, 1);
    const cpuMsPer1k = { server: perK(0), redis: perK(1) };
    await sleep(200);
    const figures: ServerFigures = { key: spec.key, label: spec.label, ...measured, warmupRps: warm.rps, rssPeakMb, cpuMsPer1k, windowUs };
    const acked = warm.ok2xx + measured.ok2xx;
    if (sqs) {
      // Stop the absorber first (its last group-commit sends finish in the graceful drain), then drain.
      await child.stop();
      const drainStart = performance.now();
      worker = await startWorker(env, args.concurrency);
      // Each phase to its own 2xx count: the check is on the measured window alone, and the warm-up's
      // leftovers (stored, never answered) made the sum of both look complete while measured events
      // were still arriving (a sound run read `20 acknowledged event(s) not in the broker`, 2026-12-07).
      await waitForLedger(sqs.ledger, typesOf('m'), measured.ok2xx);
      await waitForLedger(sqs.ledger, typesOf('w'), warm.ok2xx);
      const drainSeconds = (performance.now() - drainStart) / 1000;
      // Then until the rows stop moving (leftovers still landing), so that the worker's counters
      // are read with every row they applied.
      await settledCount(async () => ({ events: (await sqs.ledger.counts([...typesOf('w'), ...typesOf('m')])).processed, jobs: 0 }), 500, 3);
      const counters = await workerCounters([worker.port]);
      await worker.stop();
      const calls = callDelta(await sqs.emulator.counts(), callsAtStart);
      const n = (...names: string[]) => names.reduce((sum, k) => sum + (calls[k] ?? 0), 0);
      const core = n('SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch');
      const all = Object.values(calls).reduce((a, b) => a + b, 0);
      const w = await sqs.ledger.counts(typesOf('w'));
      const m = await sqs.ledger.counts(typesOf('m'));
      const processed = w.processed + m.processed;
      // Per event that went through the queues: answered ones, plus the few whose answer the warm-up's clock cut off.
      const events = Math.max(acked, processed, 1);
      figures.sqs = { calls, corePerEvent: core / events, allPerEvent: all / events, drainSeconds };
      figures.loss = lossCheck(measured.ok2xx, m.processed, 0, measured.cutShort || m.stored !== m.processed, { acked: warm.ok2xx, stored: w.processed });
      figures.loss.worker = { applied: counters.processed, rows: processed, failedDeliveries: counters.failedDeliveries };
      await sqs.ledger.cleanUp([...typesOf('w'), ...typesOf('m')], run);
    } else if (spec.stores !== 'nothing') {
      const after = await settledCount(() => stored(spec, redisUrl));
      figures.loss = lossCheck(measured.ok2xx, after.events - before.events, after.jobs, measured.cutShort, { acked: warm.ok2xx, stored: before.events });
    }
    return figures;
  } finally {
    await worker?.stop();
    await child.stop();
  }
}

export interface HttpBenchResult {
  /** Per server, its median round by rps; `lostAllRounds` sums losses over every round. */
  summary: Array<ServerFigures & { lostAllRounds?: number }>;
  /** Every round whose loss check failed, one line each: the run must exit non-zero. */
  problems: string[];
  rounds: Record<string, ServerFigures[]>;
}

/** Interleaves rounds so a burst of outside load hurts every server alike; keeps each server's median. */
export async function runHttpBench(
  args: BenchArgs,
  specs: ServerSpec[],
  brokers: Brokers,
  log: (line: string) => void,
): Promise<HttpBenchResult> {
  const rounds: Record<string, ServerFigures[]> = {};
  const problems: string[] = [];
  for (let round = 1; round <= args.rounds; round++) {
    for (const spec of specs) {
      log(`round ${round}/${args.rounds}: ${spec.label} ...`);
      const figures = await measureServer(spec, args, brokers);
      log(
        `  ${Math.round(figures.rps)} rps, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ${figures.errors} errors` +
          (figures.rssPeakMb ? `, RSS peak ${Math.round(figures.rssPeakMb)} MB` : '') +
          (figures.cpuMsPer1k ? `, CPU per 1k requests ${Math.round(figures.cpuMsPer1k.server)} ms + broker ${Math.round(figures.cpuMsPer1k.redis)} ms` : '') +
          (figures.sqs ? `, SQS calls per event ${figures.sqs.corePerEvent.toFixed(3)} (drained in ${figures.sqs.drainSeconds.toFixed(1)} s)` : '') +
          (figures.loss
            ? `; measured window: acked ${figures.loss.acked}, added to broker ${figures.loss.stored}, lost ${figures.loss.lost}, extra ${figures.loss.extra}` +
              (figures.loss.measuredExact ? ' (exact)' : ' (NOT exact)')
            : ''),
      );
      (rounds[spec.key] ??= []).push(figures);
      const problem = lossProblem(figures.loss);
      if (problem) problems.push(`round ${round}, ${spec.label}: ${problem}`);
    }
  }
  const summary = specs.map((spec) => {
    const all = [...rounds[spec.key]].sort((a, b) => a.rps - b.rps);
    const median = all[Math.floor(all.length / 2)];
    return median.loss ? { ...median, lostAllRounds: all.reduce((n, f) => n + (f.loss?.lost ?? 0), 0) } : median;
  });
  return { summary, rounds, problems };
}
