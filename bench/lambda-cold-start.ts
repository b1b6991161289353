// `npm run bench:lambda [-- --runs 5]`: the worker Lambda bundle's size and cold start. Each run is
// a fresh Node process that loads the bundle and handles one SQS record (one event, inline), as
// Lambda's runtime does on a cold start: time from spawn to the handler's answer, and its parts.
// Needs DATABASE_URL of a migrated database (each run writes one event); no SQS (nothing fails).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleSize, bundleWorkerLambda } from '../deploy/aws/worker-bundle';

/** The Lambda runtime's part: load `index.js`, build the worker (init), call the handler once. */
const RUNTIME = `
const t0 = performance.now();
const { handler, worker } = require(process.argv[1]);
const t1 = performance.now();
worker.start().then(async () => {
  const t2 = performance.now();
  const answer = await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => 60000 });
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ answer, loadMs: t1 - t0, initMs: t2 - t1, handleMs: t3 - t2 }) + '\\n');
  await worker.close();
});
`;

interface Run {
  totalMs: number;
  loadMs: number;
  initMs: number;
  handleMs: number;
}

function record(): object {
  const event = { id: randomUUID(), type: 'bench.cold_start', lane: 'normal', data: { n: 1 }, receivedAt: new Date().toISOString() };
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'bench',
        body: JSON.stringify({ events: [event] }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'bench', ApproximateFirstReceiveTimestamp: now },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:spillway-normal',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

function once(bundle: string): Promise<Run> {
  const env = { ...process.env, QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: 'spillway', WORKER_LANES: 'normal', DB_POOL_MAX: '2', LOG_LEVEL: 'error' };
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', RUNTIME, bundle, JSON.stringify(record())], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (!out.includes('\n')) return;
      const totalMs = performance.now() - started;
      const got = JSON.parse(out);
      if (got.answer.batchItemFailures.length) reject(new Error(`the record failed: ${out}`));
      else resolve({ totalMs, loadMs: got.loadMs, initMs: got.initMs, handleMs: got.handleMs });
    });
    child.on('exit', (code) => code && reject(new Error(`the run exited with ${code}`)));
  });
}

function nodeAlone(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => spawn(process.execPath, ['-e', '0']).on('exit', () => resolve(performance.now() - started)));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

async function main(): Promise<void> {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 5;
  const dir = mkdtempSync(join(tmpdir(), 'spillway-lambda-bench-'));
  try {
    bundleWorkerLambda(dir);
    const { bytes, gzipBytes } = bundleSize(dir);
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) results.push(await once(join(dir, 'index.js')));
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) bare.push(await nodeAlone());
    const pick = (k: keyof Run) => results.map((r) => r[k]);
    process.stdout.write(
      [
        `bundle: ${bytes} bytes, ${gzipBytes} gzipped`,
        `cold start, ${runs} fresh processes (median, min, max):`,
        `  spawn to answer:       ${fmt(pick('totalMs'))}`,
        `  load the bundle:       ${fmt(pick('loadMs'))}`,
        `  init (Nest, pool):     ${fmt(pick('initMs'))}`,
        `  handle the record:     ${fmt(pick('handleMs'))}`,
        `  node -e 0, for scale:  ${fmt(bare)}`,
        `node ${process.version}`,
      ].join('\n') + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:lambda: ${(err as Error).message}\n`);
  process.exit(1);
});
