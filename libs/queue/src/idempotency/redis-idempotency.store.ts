import IORedis from 'ioredis';
import type { SpillwayConfig } from '@spillway/config';
import type { QueuedEvent } from '../queue.port';
import { HeldMark, MARK_HELD } from './held-mark';
import type { IdempotencyReservation, IdempotencyStore } from './idempotency.store';

// Redis server time, so every absorber replica judges the window by one clock.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1])
local old
if v then
  old = cjson.decode(v)
  if old.at and now - old.at < tonumber(ARGV[2]) then
    return {tostring(old.g or ''), old.held and 1 or 0, 0, now - old.at}
  end
  if not old.at then return {'', 1, 0, 0} end
end
local g = tonumber(ARGV[1])
if old and old.g and g <= old.g then g = old.g + 1 end
redis.call('SET', KEYS[1], cjson.encode({g = g, at = now, held = false}), 'PX', ARGV[3])
return {tostring(g), 0, 1, 0}
`;
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if tostring(r.g) ~= ARGV[1] or r.held then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** Records in Redis (with BullMQ); Redis expires them itself at the retention (PX). */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly redis: IORedis;

  constructor(private readonly config: SpillwayConfig) {
    this.redis = new IORedis(config.redisUrl, {
      // Lookups of concurrent requests go out in one write per event-loop turn instead of one
      // write each (a socket write per command showed in the absorber's profile).
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: config.enqueueTimeoutMs,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    this.redis.on('error', () => undefined);
  }

  /**
   * Whether the connection came up within `timeoutMs`. No command is queued while it connects
   * (enableOfflineQueue false), so until then every lookup takes the store-down path.
   */
  async waitUntilConnected(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  private keyOf(scope: string, key: string): string {
    return `${this.config.queuePrefix}:idem:${scope}:${key}`;
  }

  async reserve(scope: string, key: string, proposed: number): Promise<IdempotencyReservation> {
    const [g, held, fresh, age] = (await this.redis.eval(
      RESERVE,
      1,
      this.keyOf(scope, key),
      proposed,
      this.config.idempotencyWindowMs,
      this.config.idempotencyRetentionMs,
    )) as [string, number, number, number];
    return { generation: g === '' ? undefined : Number(g), held: held === 1, fresh: fresh === 1, ageMs: age };
  }

  async markHeld(scope: string, key: string, generation: number | undefined): Promise<void> {
    if (generation !== undefined) await this.redis.eval(MARK_HELD, 1, this.keyOf(scope, key), String(generation));
  }

  /** A mark the BullMQ driver can send with the job write (same Redis): see held-mark.ts. */
  heldMark(scope: string, key: string, generation: number, events: readonly QueuedEvent[]): HeldMark {
    return { record: this.keyOf(scope, key), generation, events, marked: false };
  }

  async release(scope: string, key: string, generation: number | undefined): Promise<void> {
    if (generation !== undefined) await this.redis.eval(RELEASE, 1, this.keyOf(scope, key), String(generation));
  }

  async sweep(): Promise<number> {
    return 0; // every key carries its retention as a Redis TTL
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
