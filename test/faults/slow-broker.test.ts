import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import { loadConfig } from '@spillway/config';
import { startAbsorber, startWorker } from '../support/apps';
import { DRIVERS, ensureSqsQueues } from '../support/drivers';
import { sleep, testConfig, uniquePrefix, waitFor } from '../support/env';
import { report } from './support/report';
import { SlowProxy } from './support/slow-proxy';

interface Answer {
  n: number;
  key?: string;
  status: number;
}

/**
 * The broker takes every write at once but its answers come 700 ms late (a TCP relay delaying the
 * replies), past ENQUEUE_TIMEOUT_MS=300: writes that land after their deadline. Every answer must
 * be true: each 202 processed once, each refusal (503) absent after the workers drain, each 504
 * (outcome unknown) present at most once, or, retried with its Idempotency-Key, present once.
 */
describe.each(DRIVERS)('a slow broker (%s): every answer is true', (driver) => {
  const pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 2 });
  let proxy: SlowProxy;
  let absorber: NestFastifyApplication | undefined;
  let worker: NestFastifyApplication | undefined;
  afterAll(async () => {
    await worker?.close();
    await absorber?.close();
    await proxy?.stop();
    await pool.end();
  });

  it('answers 202, 503 or 504 truly, and a retry with the key after a 504 makes it exactly once', async () => {
    const base = { QUEUE_DRIVER: driver, QUEUE_PREFIX: uniquePrefix('slow'), ENQUEUE_TIMEOUT_MS: '300', ENQUEUE_MAX_IN_FLIGHT: '20', LANE_HIGH_WATER: '0' };
    const brokerUrl = new URL(driver === 'bullmq' ? loadConfig().redisUrl : process.env.SQS_ENDPOINT!);
    proxy = await SlowProxy.start({ host: brokerUrl.hostname, port: Number(brokerUrl.port) });
    const viaProxy: Record<string, string> = driver === 'bullmq' ? { REDIS_URL: `redis://${proxy.url}${brokerUrl.pathname}` } : { SQS_ENDPOINT: `http://${proxy.url}` };
    if (driver === 'sqs') await ensureSqsQueues(base);
    absorber = await startAbsorber(testConfig({ ...base, ...viaProxy }));
    const type = `slow.${randomBytes(4).toString('hex')}`;
    const post = (n: number, key?: string) => {
      const req = request(absorber!.getHttpServer()).post('/v1/events').send({ type, data: { n } });
      return key ? req.set('Idempotency-Key', key) : req;
    };

    // 240 requests, 60 at a time, every other one with an Idempotency-Key.
    proxy.delayMs = 700;
    const answers: Answer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 60 }, async () => {
        while (next < 240) {
          const n = next++;
          const key = n % 2 === 0 ? `${type}-${n}` : undefined;
          answers.push({ n, key, status: (await post(n, key)).status });
        }
      }),
    );
    proxy.delayMs = 0;
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].every((s) => [202, 503, 504].includes(s))).toBe(true);
    expect(statuses.has(504)).toBe(true); // the fault happened: writes outlived their deadline
    expect(statuses.has(503)).toBe(true); // and the in-flight bound refused some before writing

    // Every 504 that carried a key is retried with the same key until the answer is definite.
    const retried = answers.filter((a) => a.status === 504 && a.key);
    for (const a of retried) {
      a.status = await waitFor(`a definite answer for ${a.key}`, async () => {
        const res = await post(a.n, a.key);
        return res.status === 202 ? 202 : undefined;
      }, 20_000, 300);
    }

    worker = await startWorker(testConfig(base));
    const stored = async () => {
      const { rows } = await pool.query<{ n: string; c: string }>(
        "SELECT data->>'n' AS n, count(*) AS c FROM events WHERE type = $1 GROUP BY 1",
        [type],
      );
      return new Map(rows.map((r) => [Number(r.n), Number(r.c)]));
    };
    const acknowledged = answers.filter((a) => a.status === 202);
    await waitFor('every acknowledged event to be stored', async () => {
      const rows = await stored();
      return acknowledged.every((a) => rows.has(a.n));
    }, 60_000, 250);
    await sleep(3000); // writes that landed late, or unknown ones, have time to be stored too
    const rows = await stored();
    const refused = answers.filter((a) => a.status === 503);
    const unknownKeyless = answers.filter((a) => a.status === 504);
    const doubled = [...rows.values()].filter((c) => c > 1).length;
    const lost = acknowledged.filter((a) => !rows.has(a.n)).length;
    report(
      `broker answers 700 ms late, past ENQUEUE_TIMEOUT_MS=300 [${driver}]`,
      `${answers.filter((a) => a.status === 503).length} refused (503) absent, ${retried.length} unknown (504) retried with their key, ${unknownKeyless.length} unknown without a key at most once`,
      { acknowledged: acknowledged.length, processed: acknowledged.filter((a) => rows.get(a.n) === 1).length, lost, doubled },
    );
    expect(lost).toBe(0);
    expect(doubled).toBe(0);
    expect(refused.filter((a) => rows.has(a.n))).toEqual([]);
    expect(acknowledged.filter((a) => rows.get(a.n) !== 1)).toEqual([]);
  });
});
