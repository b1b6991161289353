import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, SpillwayConfig } from '../../../libs/config/src';
import { HealthModule } from '../../../libs/health/src';
import { createIdempotencyStore, IDEMPOTENCY_STORE, IdempotencyStore, QueueModule } from '../../../libs/queue/src';
import { HooksRoute } from './hooks/hooks.route';
import { ApiKeyGuard } from './ingest/api-key.guard';
import { EnqueueBatcher } from './ingest/enqueue-batcher';
import { IngestController } from './ingest/ingest.controller';
import { IngestRoute } from './ingest/ingest.route';
import { IngestService } from './ingest/ingest.service';
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
        IngestService,
        IngestRoute,
        HooksRoute,
        EnqueueBatcher,
        ApiKeyGuard,
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
