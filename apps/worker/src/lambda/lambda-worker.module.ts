import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule, SpillwayConfig } from '../../../../libs/config/src';
import { DbModule } from '../../../../libs/db/src';
import { Metrics } from '../../../../libs/health/src';
import { QUEUE_DRIVER } from '../../../../libs/queue/src';
import { SqsDriver } from '../../../../libs/queue/src/sqs/sqs.driver';
import { DeliveryProcessor } from '../delivery.processor';
import { HandlerRegistry } from '../handlers/handler.registry';
import { HANDLERS } from '../worker.module';
import { LambdaLedgerSweep } from './lambda-ledger-sweep';
import { SqsBatch } from './sqs-batch';

/**
 * The worker's handlers, registry and DeliveryProcessor as in WorkerModule, without what a pod
 * runs beside them: no LaneConsumers (Lambda's event source mapping receives the messages), the
 * ledger swept after a batch (LambdaLedgerSweep) instead of on LedgerSweeper's timers, no health or
 * metrics listener. The SQS driver is built but never consumes: it decodes claim checks, writes dead-letter
 * copies and sets visibility, as it does for the pod worker. Metrics are counted, not served.
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
        SqsBatch,
        LambdaLedgerSweep,
      ],
    };
  }
}
