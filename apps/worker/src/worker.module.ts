import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigModule, SpillwayConfig } from '@spillway/config';
import { DbModule } from '@spillway/db';
import { HealthModule } from '@spillway/health';
import { QueueModule } from '@spillway/queue';
import { DeliveryProcessor } from './delivery.processor';
import { HandlerRegistry } from './handlers/handler.registry';
import { StoreEventHandler } from './handlers/store-event.handler';
import { LaneConsumers } from './lane-consumers.service';
import { LedgerSweeper } from './ledger-sweeper';

/** Add your handlers here (or pass them to `forRoot`, as tests do). */
export const HANDLERS: Type[] = [StoreEventHandler];

@Module({})
export class WorkerModule {
  static forRoot(config: SpillwayConfig, handlers: Type[] = HANDLERS): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), QueueModule.forRoot(config), DbModule.forRoot(config), HealthModule.forApp('worker'), DiscoveryModule],
      providers: [...handlers, HandlerRegistry, DeliveryProcessor, LaneConsumers, LedgerSweeper],
    };
  }
}
