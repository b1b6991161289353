import type { SpillwayConfig } from '@spillway/config';
import type { IdempotencyStore } from './idempotency.store';

/** How long a start waits for the Redis store's connection (the broker's wait is as long). */
const STORE_CONNECT_WAIT_MS = 5000;

/**
 * The store IDEMPOTENCY_STORE names (by default the one beside the broker: Redis with BullMQ,
 * Postgres with SQS). Only the store in use is loaded (the absorber on BullMQ never loads `pg`).
 */
export async function createIdempotencyStore(config: SpillwayConfig): Promise<IdempotencyStore> {
  switch (config.idempotencyStore) {
    case 'postgres': {
      const { PostgresIdempotencyStore } = await import('./postgres-idempotency.store');
      return new PostgresIdempotencyStore(config);
    }
    case 'redis': {
      const { RedisIdempotencyStore } = await import('./redis-idempotency.store');
      const store = new RedisIdempotencyStore(config);
      // As the broker (QueueModule): start even if Redis is down, but give its connection a moment
      // first, else the first keyed requests after a start find no record and none is written.
      await store.waitUntilConnected(STORE_CONNECT_WAIT_MS);
      return store;
    }
  }
}
