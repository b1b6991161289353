import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { Lane } from '@spillway/config';
import { QUEUE_DRIVER } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { startAbsorber, startWorker } from '../../test/support/apps';
import { ensureSqsQueues } from '../../test/support/drivers';
import { testConfig, uniquePrefix, waitFor } from '../../test/support/env';
import { Ledger } from '../../test/support/ledger';
import { freePort } from '../../test/support/redis-server';

/**
 * SQS API calls per event, end to end (send + receive + delete, and everything else counted
 * apart), under load: EVENTS single-event POSTs from CONCURRENCY clients against the absorber,
 * drained by one worker, all on fauxqs. Run: `npm run bench:sqs-calls` (EVENTS=, CONCURRENCY= to vary).
 */
const EVENTS = Number(process.env.EVENTS ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const GOAL = 0.35;

function laneOf(i: number): { priority: Lane; key?: string } {
  if (i % 10 === 0) return { priority: 'critical', key: `account-${i % 200}` };
  return { priority: i % 3 === 0 ? 'low' : 'normal' };
}

function post(port: number, agent: Agent, body: string): Promise<{ status: number; id: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/events', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, id: JSON.parse(text).id }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it(`measures SQS API calls per event for ${EVENTS} events`, async () => {
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('callbench'), WORKER_CONCURRENCY: 'critical=20,normal=20,low=20', LOG_LEVEL: 'error' };
  await ensureSqsQueues(env);
  const config = testConfig(env);
  const absorber = await startAbsorber(config);
  const port = await freePort();
  await absorber.listen(port, '127.0.0.1');
  const worker = await startWorker(config);
  const ledger = new Ledger();
  const producer = absorber.get<SqsDriver>(QUEUE_DRIVER);
  const consumer = worker.get<SqsDriver>(QUEUE_DRIVER);
  const before = { ...producer.apiCalls.calls };
  const beforeConsumer = { ...consumer.apiCalls.calls };

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const ids: string[] = [];
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < EVENTS) {
          const i = next++;
          const res = await post(port, agent, JSON.stringify({ type: 'bench.event', data: { i }, ...laneOf(i) }));
          if (res.status !== 202) throw new Error(`status ${res.status}`);
          ids.push(res.id);
        }
      }),
    );
    const accepted = Date.now();
    await waitFor('every event processed', async () => (await ledger.counts(ids)).size === ids.length, 600_000, 500);
    const drained = Date.now();

    const diff = (now: Record<string, number>, then: Record<string, number>) =>
      Object.fromEntries(Object.entries(now).map(([k, v]) => [k.replace(/Command$/, ''), v - (then[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
    const calls: Record<string, number> = {};
    for (const [k, v] of [...Object.entries(diff(producer.apiCalls.calls, before)), ...Object.entries(diff(consumer.apiCalls.calls, beforeConsumer))]) {
      calls[k] = (calls[k] ?? 0) + (v as number);
    }
    const core = (calls.SendMessageBatch ?? 0) + (calls.ReceiveMessage ?? 0) + (calls.DeleteMessageBatch ?? 0);
    const all = Object.values(calls).reduce((a, b) => a + b, 0);
    const perEvent = core / EVENTS;
    const report = [
      `# SQS API calls per event (fauxqs ${JSON.parse(readFileSync(join(__dirname, '..', '..', 'node_modules', 'fauxqs', 'package.json'), 'utf8')).version})`,
      '',
      `Measured ${new Date().toISOString()} by \`npm run bench:sqs-calls\` (EVENTS=${EVENTS}, CONCURRENCY=${CONCURRENCY}).`,
      `${EVENTS} single-event POSTs (10% critical FIFO over 200 keys, 60% normal, 30% low) from ${CONCURRENCY} concurrent`,
      'clients to one absorber, drained by one worker (concurrency 20 per lane), both in one process on a 2-CPU box.',
      '',
      `- send + receive + delete: **${core} calls = ${perEvent.toFixed(3)} per event** (goal <= ${GOAL}; one call per step per event would be 3.0)`,
      `- every SQS/S3 call, health and setup included: ${all} = ${(all / EVENTS).toFixed(3)} per event`,
      `- accepted in ${((accepted - started) / 1000).toFixed(1)} s, all processed after ${((drained - started) / 1000).toFixed(1)} s (timings for context only: emulator, shared box)`,
      '',
      '| call | count |',
      '|---|---|',
      ...Object.entries(calls).sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${v} |`),
      '',
    ].join('\n');
    writeFileSync(join(__dirname, 'reports', 'sqs-api-calls.md'), report);
    process.stdout.write(report);
    expect(Number.isFinite(perEvent)).toBe(true);
  } finally {
    agent.destroy();
    await worker.close();
    await absorber.close();
    await ledger.close();
  }
});
