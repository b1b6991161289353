import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule, SpillwayConfig } from '@spillway/config';
import { DbModule } from '@spillway/db';
import { Metrics } from '@spillway/health';
import { QUEUE_DRIVER } from '@spillway/queue';
import { SqsBatchConsumer, SqsDriver } from '@spillway/queue/lambda';
import { DeliveryProcessor } from '../delivery.processor';
import { HandlerRegistry } from '../handlers/handler.registry';
import { HANDLERS } from '../worker.module';
import { LambdaLedgerSweep } from './lambda-ledger-sweep';

/**
 * The worker's handlers, registry and DeliveryProcessor as in WorkerModule, without what a pod
 * runs beside them: no LaneConsumers (Lambda's event source mapping receives the messages; the SQS
 * driver's batch consumer runs them under the same delivery policy), the ledger swept after a
 * batch (LambdaLedgerSweep) instead of on LedgerSweeper's timers, no health or metrics listener.
 * Metrics are counted, not served.
 */
@Module({})
export class LambdaWorkerModule {
  static forRoot(config: SpillwayConfig, handlers: Type[] = HANDLERS): DynamicModule {
    return {
      module: LambdaWorkerModule,
      imports: [ConfigModule.forRoot(config), DbModule.forRoot(config), DiscoveryModule],
      providers: [
        { provide: QUEUE_DRIVER, useFactory: () => new SqsDriver(config) },
        Metrics,
        ...handlers,
        HandlerRegistry,
        DeliveryProcessor,
        {
          provide: SqsBatchConsumer,
          inject: [QUEUE_DRIVER, DeliveryProcessor],
          // Two pooled connections per chain run at once: a delivery holds one, and when it fails
          // DeliveryProcessor asks Postgres on another whether it is up; with every connection
          // held, that check would time out and a handler's error would pass for an outage.
          useFactory: (driver: SqsDriver, processor: DeliveryProcessor) =>
            driver.batchConsumer((delivery) => processor.process(delivery), { lanes: config.workerLanes, concurrency: Math.max(1, Math.floor(config.dbPoolMax / 2)) }),
        },
        LambdaLedgerSweep,
      ],
    };
  }
}
