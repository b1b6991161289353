import type { SpillwayConfig } from '@spillway/config';
import type { IdempotencyStore } from './idempotency.store';

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
      return new RedisIdempotencyStore(config);
    }
  }
}
