import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BenchArgs } from './args';
import { Child, freePort, sleep, startNode, startRedis } from './processes';
import { absorberEnv } from './servers';
import { callDelta, CallCounts, ensureQueues, startEmulator } from './sqs/fauxqs';

/** The definition's worker concurrency (deploy/spillway.ts), so the idle long polls are production's. */
const WORKER_CONCURRENCY = 'critical=8,normal=4,low=2';
/** After start: the boot reads and connections are made before the window opens. */
const SETTLE_MS = 3000;

export interface IdleRow {
  driver: 'bullmq' | 'sqs';
  process: 'absorber' | 'worker';
  /** What was counted: Redis commands (INFO commandstats) or SQS API calls (the emulator's count). */
  counted: string;
  seconds: number;
  calls: CallCounts;
  perMinute: number;
}

/** Redis commands served so far, by command, on a connection opened once (its own INFO calls are taken off). */
function redisCounter(url: string): { counts(): Promise<CallCounts>; close(): void } {
  const client = new Redis(url, { enableReadyCheck: false, maxRetriesPerRequest: 1 });
  let asked = 0;
  return {
    async counts() {
      // An INFO is counted once it has answered: the reply holds the earlier ones only.
      const text = await client.info('commandstats');
      const out: CallCounts = {};
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]) - (m[1] === 'info' ? asked : 0);
      asked++;
      return out;
    },
    close: () => client.disconnect(),
  };
}

async function startOne(role: 'absorber' | 'worker', env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const script = role === 'absorber' ? 'dist/apps/absorber/src/main.js' : 'dist/apps/worker/src/main.js';
  const extra: Record<string, string> = role === 'worker' ? { WORKER_HEALTH_PORT: String(port), WORKER_CONCURRENCY } : {};
  const child = startNode(`${role}-${env.QUEUE_DRIVER}`, script, { ...env, PORT: String(port), ...extra, LOG_LEVEL: 'warn' });
  await child.waitForPort(port, 30_000);
  return child;
}

/**
 * `npm run bench -- --idle`: broker calls a minute of one process at rest (no request, nothing
 * queued), for each driver side by side: the absorber, then a worker. BullMQ on a Redis of its own
 * (every command counted), SQS on the bench's fauxqs (every API call counted). Probes and scrapes
 * are not made here: docs/sqs-driver.md adds them per replica.
 */
export async function runIdle(args: BenchArgs, log: (line: string) => void): Promise<IdleRow[]> {
  const redis = await startRedis(false);
  const other = await startRedis(false);
  const emulator = await startEmulator();
  const sqsEnv = { SQS_ENDPOINT: emulator.url, QUEUE_PREFIX: `idle-${Date.now()}` };
  const rows: IdleRow[] = [];
  const counter = redisCounter(redis.url);
  try {
    await ensureQueues(sqsEnv);
    for (const role of ['absorber', 'worker'] as const) {
      log(`${role}: BullMQ and SQS side by side, ${args.idleSeconds} s at rest after ${SETTLE_MS / 1000} s to settle`);
      const bull = await startOne(role, absorberEnv('bullmq', redis.url, 0));
      // The SQS process's own Redis is another server: not counted, and not in BullMQ's count.
      const sqs = await startOne(role, { ...absorberEnv('sqs', other.url, 0), ...sqsEnv });
      try {
        await sleep(SETTLE_MS);
        await counter.counts(); // connected before the window opens
        const before = { redis: await counter.counts(), sqs: await emulator.counts() };
        await sleep(args.idleSeconds * 1000);
        const after = { redis: await counter.counts(), sqs: await emulator.counts() };
        for (const [driver, calls, counted] of [
          ['bullmq', callDelta(after.redis, before.redis), 'Redis commands (INFO commandstats)'],
          ['sqs', callDelta(after.sqs, before.sqs), 'SQS API calls (fauxqs)'],
        ] as const) {
          const total = Object.values(calls).reduce((a, b) => a + b, 0);
          rows.push({ driver, process: role, counted, seconds: args.idleSeconds, calls, perMinute: (total * 60) / args.idleSeconds });
        }
      } finally {
        await bull.stop();
        await sqs.stop();
      }
    }
  } finally {
    counter.close();
    await emulator.stop();
    await redis.stop();
    await other.stop();
  }
  const md = renderIdle(rows);
  mkdirSync(args.outDir, { recursive: true });
  writeFileSync(join(args.outDir, 'idle.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
  writeFileSync(join(args.outDir, 'idle.md'), md);
  log(md);
  log(`written: ${join(args.outDir, 'idle.json')}, ${join(args.outDir, 'idle.md')}`);
  return rows;
}

export function renderIdle(rows: IdleRow[]): string {
  const calls = (c: CallCounts) => Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `# Broker calls at rest (\`npm run bench -- --idle\`, ${new Date().toISOString()})`,
    '',
    `One process, no requests, nothing queued; the worker at WORKER_CONCURRENCY=${WORKER_CONCURRENCY}. No probes or scrapes.`,
    '',
    '| driver | process | counted | window | calls | per minute |',
    '|---|---|---|---:|---|---:|',
    ...rows.map((r) => `| ${r.driver} | ${r.process} | ${r.counted} | ${r.seconds} s | ${calls(r.calls)} | ${r.perMinute.toFixed(1)} |`),
    '',
  ].join('\n');
}
