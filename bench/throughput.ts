import { randomBytes } from 'node:crypto';
import { BenchArgs } from './args';
import { countAbsorberEvents, countPeerJobs, flushOwnRedis } from './broker-count';
import { LoadFigures, requestMix, runLoad } from './load';
import { Child, freePort, sampleRss, sleep, startNode } from './processes';
import { ABSORBER_PREFIX, ServerSpec } from './servers';

export interface LossCheck {
  /** 2xx answers over warm-up and measured window. */
  acked: number;
  /** Events found in the broker afterwards (read from Redis), and the jobs that carry them. */
  stored: number;
  jobs: number;
  /** Acknowledged but not in the broker: must be 0. */
  lost: number;
  /** Stored but never answered: requests in flight when the warm-up's clock cut them off. */
  unansweredAtCutoff: number;
  /** The measured window sends an exact count, so there stored-delta must equal its 2xx. */
  measuredExact: boolean;
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
 */
export async function measureServer(
  spec: ServerSpec,
  args: BenchArgs,
  redis: { url: string; child: Child },
  nodeArgs: string[] = [],
): Promise<ServerFigures> {
  const redisUrl = redis.url;
  await flushOwnRedis(redisUrl);
  const port = await freePort();
  const child = startNode(spec.key, spec.script, spec.env(redisUrl, port), [...(spec.nodeArgs ?? []), ...nodeArgs]);
  try {
    await child.waitForPort(port);
    const url = `http://127.0.0.1:${port}`;
    const requests = requestMix(randomBytes(4).toString('hex'), undefined, args.batch ?? 1);
    const warm = await runLoad({ url, connections: args.connections, requests, duration: args.warmup });
    await sleep(500);
    const before = await stored(spec, redisUrl);
    const amount = Math.max(args.connections * 10, Math.round(warm.warmRps * args.duration));
    const rss = sampleRss(child);
    const cpuBefore = [child.cpuSeconds(), redis.child.cpuSeconds()];
    const windowStart = Number(process.hrtime.bigint() / 1000n);
    const measured = await runLoad({ url, connections: args.connections, requests, amount, maxSeconds: args.duration * 3 + 10 });
    const windowUs: [number, number] = [windowStart, Number(process.hrtime.bigint() / 1000n)];
    const cpuAfter = [child.cpuSeconds(), redis.child.cpuSeconds()];
    const rssPeakMb = rss.stop();
    const perK = (i: number) => (((cpuAfter[i] ?? NaN) - (cpuBefore[i] ?? NaN)) * 1e6) / Math.max(measured.requests, 1);
    const cpuMsPer1k = { server: perK(0), redis: perK(1) };
    await sleep(200);
    const after = await stored(spec, redisUrl);
    const figures: ServerFigures = { key: spec.key, label: spec.label, ...measured, warmupRps: warm.rps, rssPeakMb, cpuMsPer1k, windowUs };
    if (spec.stores !== 'nothing') {
      const acked = warm.ok2xx + measured.ok2xx;
      figures.loss = {
        acked,
        stored: after.events,
        jobs: after.jobs,
        lost: Math.max(0, acked - after.events),
        unansweredAtCutoff: Math.max(0, after.events - acked),
        measuredExact: !measured.cutShort && after.events - before.events === measured.ok2xx,
      };
    }
    return figures;
  } finally {
    await child.stop();
  }
}

export interface HttpBenchResult {
  /** Per server, its median round by rps; `lostAllRounds` sums losses over every round. */
  summary: Array<ServerFigures & { lostAllRounds?: number }>;
  rounds: Record<string, ServerFigures[]>;
}

/** Interleaves rounds so a burst of outside load hurts every server alike; keeps each server's median. */
export async function runHttpBench(
  args: BenchArgs,
  specs: ServerSpec[],
  redis: { url: string; child: Child },
  log: (line: string) => void,
): Promise<HttpBenchResult> {
  const rounds: Record<string, ServerFigures[]> = {};
  for (let round = 1; round <= args.rounds; round++) {
    for (const spec of specs) {
      log(`round ${round}/${args.rounds}: ${spec.label} ...`);
      const figures = await measureServer(spec, args, redis);
      log(
        `  ${Math.round(figures.rps)} rps, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ${figures.errors} errors` +
          (figures.rssPeakMb ? `, RSS peak ${Math.round(figures.rssPeakMb)} MB` : '') +
          (figures.cpuMsPer1k ? `, CPU per 1k requests ${Math.round(figures.cpuMsPer1k.server)} ms + redis ${Math.round(figures.cpuMsPer1k.redis)} ms` : '') +
          (figures.loss
            ? `; acked ${figures.loss.acked}, in broker ${figures.loss.stored} (${figures.loss.jobs} jobs), lost ${figures.loss.lost}` +
              (figures.loss.measuredExact ? ', measured window exact' : ', measured window NOT exact')
            : ''),
      );
      (rounds[spec.key] ??= []).push(figures);
    }
  }
  const summary = specs.map((spec) => {
    const all = [...rounds[spec.key]].sort((a, b) => a.rps - b.rps);
    const median = all[Math.floor(all.length / 2)];
    return median.loss ? { ...median, lostAllRounds: all.reduce((n, f) => n + (f.loss?.lost ?? 0), 0) } : median;
  });
  return { summary, rounds };
}
