import IORedis from 'ioredis';

const LANES = ['critical', 'normal', 'low'];

/** Ids of jobs not yet finished in one BullMQ queue (nothing consumes during the HTTP bench). */
async function pendingJobIds(redis: IORedis, base: string): Promise<string[]> {
  // BullMQ 6 has no paused list (a paused queue's jobs stay in wait). ioredis 6 types zrange's stop
  // as a string only.
  const [wait, active, prioritized, delayed] = await Promise.all([
    redis.lrange(`${base}:wait`, 0, -1),
    redis.lrange(`${base}:active`, 0, -1),
    redis.zrange(`${base}:prioritized`, 0, '-1'),
    redis.zrange(`${base}:delayed`, 0, '-1'),
  ]);
  return [...wait, ...active, ...prioritized, ...delayed];
}

/**
 * Events held by the absorber's lane queues: the sum of `events.length` inside every job, read
 * straight from Redis (not through the app), so the loss check trusts nothing the app says.
 */
export async function countAbsorberEvents(redisUrl: string, prefix: string): Promise<{ jobs: number; events: number }> {
  const redis = new IORedis(redisUrl);
  try {
    let jobs = 0;
    let events = 0;
    for (const lane of LANES) {
      const base = `${prefix}:${lane}`;
      const ids = await pendingJobIds(redis, base);
      jobs += ids.length;
      for (let i = 0; i < ids.length; i += 1000) {
        const pipeline = redis.pipeline();
        for (const id of ids.slice(i, i + 1000)) pipeline.hget(`${base}:${id}`, 'data');
        for (const [err, data] of (await pipeline.exec()) ?? []) {
          if (err) throw err;
          if (typeof data !== 'string') throw new Error(`job in ${base} has no data`);
          events += (JSON.parse(data) as { events: unknown[] }).events.length;
        }
      }
    }
    return { jobs, events };
  } finally {
    redis.disconnect();
  }
}

/** Jobs in the naive peer's single queue: one event each. */
export async function countPeerJobs(redisUrl: string, prefix = 'bull', queue = 'events'): Promise<number> {
  const redis = new IORedis(redisUrl);
  try {
    return (await pendingJobIds(redis, `${prefix}:${queue}`)).length;
  } finally {
    redis.disconnect();
  }
}

/** Our own redis-server only: the shared one on 6379 is refused outright. */
export async function flushOwnRedis(redisUrl: string): Promise<void> {
  if (new URL(redisUrl).port === '6379' || new URL(redisUrl).port === '') throw new Error('refusing to flush the shared Redis on 6379');
  const redis = new IORedis(redisUrl);
  try {
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}
