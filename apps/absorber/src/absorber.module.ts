import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, SpillwayConfig } from '@spillway/config';
import { HealthModule } from '@spillway/health';
import { createIdempotencyStore, IDEMPOTENCY_STORE, IdempotencyStore, QueueModule } from '@spillway/queue';
import { HooksRoute } from './hooks/hooks.route';
import { IngestController } from './ingest/ingest.controller';
import { INGEST_PROVIDERS } from './ingest/ingest.providers';
import { IngestRoute } from './ingest/ingest.route';
import { MetricsListener } from './metrics-listener';

@Module({})
export class AbsorberModule {
  static forRoot(config: SpillwayConfig): DynamicModule {
    return {
      module: AbsorberModule,
      // No database module: the absorber holds events in the broker only, so it starts, stays ready
      // and answers 202 while Postgres is down (migrations are their own step: npm run migrate).
      imports: [ConfigModule.forRoot(config), QueueModule.forRoot(config), HealthModule.forApp('absorber')],
      controllers: [IngestController],
      providers: [
        ...INGEST_PROVIDERS,
        IngestRoute,
        HooksRoute,
        MetricsListener,
        {
          provide: IDEMPOTENCY_STORE,
          useFactory: () => createIdempotencyStore(config),
        },
        {
          // Closes the store after the HTTP server has drained.
          provide: 'IDEMPOTENCY_STORE_CLOSER',
          inject: [IDEMPOTENCY_STORE],
          useFactory: (store: IdempotencyStore) => ({ onApplicationShutdown: () => store.close() }),
        },
      ],
    };
  }
}
