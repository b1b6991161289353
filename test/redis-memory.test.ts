import { randomBytes } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { startAbsorber } from './support/apps';
import { testConfig, uniquePrefix } from './support/env';
import { RedisServer } from './support/redis-server';

/**
 * Redis bounded as on the box (`maxmemory`, `noeviction`): the absorber fills it with events of
 * varying size and must start answering 503 + Retry-After from its memory sample before Redis
 * itself refuses a write (no OOM error reply, no eviction), and every 202 must be a queued job.
 * The lanes' count marks are off here, so only the memory check can stop the flood.
 */
const MAX_MEMORY = 16 * 1024 * 1024;

describe('Redis memory bound (maxmemory + noeviction)', () => {
  let redis: RedisServer;
  let app: NestFastifyApplication;
  let client: IORedis;
  const prefix = uniquePrefix('redis-memory');

  beforeAll(async () => {
    redis = await RedisServer.start({ args: ['--maxmemory', String(MAX_MEMORY), '--maxmemory-policy', 'noeviction'] });
    client = new IORedis(redis.url);
    app = await startAbsorber(testConfig({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix, LANE_HIGH_WATER: '0' }));
  });
  afterAll(async () => {
    await app?.close();
    client?.disconnect();
    await redis?.kill();
  });

  const info = async (section: string, field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(await client.info(section))?.[1] ?? 0);

  it('sheds with 503 + Retry-After before Redis is full: no eviction, no OOM reply, every 202 queued', async () => {
    const fastify = app.getHttpAdapter().getInstance();
    const accepted = new Set<string>();
    const refusals: Array<{ status: number; retryAfter?: string; message: string }> = [];
    let sentBytes = 0;
    // Bounded: stop once refusals have gone on for a while, or after four times the bound was sent.
    const sender = async () => {
      while (refusals.length < 200 && sentBytes < 4 * MAX_MEMORY) {
        const data = { blob: randomBytes(100 + Math.floor(Math.random() * 3000)).toString('base64') };
        const payload = JSON.stringify({ type: 'fill.redis', data, priority: 'normal' });
        sentBytes += payload.length;
        const res = await fastify.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload });
        if (res.statusCode === 202) accepted.add(res.json().id);
        else refusals.push({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, message: res.json().message });
      }
    };
    await Promise.all(Array.from({ length: 4 }, sender));

    expect(accepted.size).toBeGreaterThan(1000);
    expect(refusals.length).toBeGreaterThan(0);
    const notShed = refusals.filter((r) => r.status !== 503 || !r.retryAfter || !/^broker memory is \d+% full/.test(r.message));
    expect(notShed).toEqual([]);
    // Redis never had to refuse a write, nor drop a key.
    expect(await info('stats', 'evicted_keys')).toBe(0);
    expect(await client.info('errorstats')).not.toContain('errorstat_OOM');
    expect(await info('memory', 'used_memory')).toBeLessThan(MAX_MEMORY);

    // Every acknowledged event is in a queued job, exactly once.
    const queue = new Queue('normal', { connection: client, prefix });
    const jobs = await queue.getWaiting(0, -1);
    const queued = jobs.flatMap((j) => (j.data.events as Array<{ id: string }>).map((e) => e.id));
    expect(new Set(queued).size).toBe(queued.length);
    expect([...accepted].filter((id) => !queued.includes(id))).toEqual([]);
    await queue.close();
    console.log(`redis memory: ${accepted.size} accepted, ${refusals.length} shed at ${refusals[0].message}`);
  }, 120_000);
});
