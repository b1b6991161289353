import { execFile, fork } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Child, freePort, ROOT } from '../processes';

export type CallCounts = Record<string, number>;

/** The bench's own fauxqs (bench/sqs/emulator.ts) on a free loopback port, counting API calls. */
export interface SqsEmulator {
  url: string;
  child: Child;
  counts(): Promise<CallCounts>;
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<SqsEmulator> {
  const port = await freePort();
  // cwd = repository root: fauxqs is resolved from its node_modules.
  const proc = fork(join(ROOT, 'dist', 'bench', 'sqs', 'emulator.js'), [], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SQS_PORT: String(port) },
    silent: true,
  });
  const child = new Child('fauxqs', proc);
  await child.waitForPort(port, 15_000);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    counts: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('fauxqs did not answer with its call counts')), 5000);
        const onMessage = (msg: { type?: string; counts?: CallCounts }) => {
          if (msg?.type !== 'counts') return;
          clearTimeout(timer);
          proc.off('message', onMessage);
          resolve(msg.counts ?? {});
        };
        proc.on('message', onMessage);
        proc.send({ type: 'counts' });
      }),
    async stop() {
      await child.stop(5000);
    },
  };
}

/** The queues, DLQs and payload bucket for `env` (QUEUE_PREFIX, SQS_ENDPOINT...): exactly `npm run queues:ensure`. */
export async function ensureQueues(env: Record<string, string>): Promise<void> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'libs', 'queue', 'src', 'sqs', 'ensure-queues.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

/** Counts that grew between two snapshots. */
export function callDelta(after: CallCounts, before: CallCounts): CallCounts {
  const out: CallCounts = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
