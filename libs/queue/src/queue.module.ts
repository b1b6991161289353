import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { SpillwayConfig } from '@spillway/config';
import { QUEUE_DRIVER, QueueDriver } from './queue.port';

/**
 * Picks the driver from `QUEUE_DRIVER` alone; nothing else in the apps knows which one runs. Only
 * that driver's code is loaded: an absorber on BullMQ never loads the AWS SDK, one on SQS never
 * loads BullMQ.
 */
export async function createQueueDriver(config: SpillwayConfig): Promise<QueueDriver> {
  switch (config.queueDriver) {
    case 'bullmq': {
      const { BullmqDriver } = await import('./bullmq/bullmq.driver');
      return new BullmqDriver(config);
    }
    case 'sqs': {
      const { SqsDriver } = await import('./sqs/sqs.driver');
      return new SqsDriver(config);
    }
  }
}

class DriverCloser implements OnApplicationShutdown {
  constructor(@Inject(QUEUE_DRIVER) private readonly driver: QueueDriver) {}
  // After the HTTP server has finished in-flight requests (Nest closes it before this hook).
  async onApplicationShutdown(): Promise<void> {
    await this.driver.close();
  }
}

@Global()
@Module({})
export class QueueModule {
  static forRoot(config: SpillwayConfig): DynamicModule {
    return {
      module: QueueModule,
      providers: [
        {
          provide: QUEUE_DRIVER,
          useFactory: async () => {
            const driver = await createQueueDriver(config);
            // Start even if the broker is down (readiness says so), but give it a moment first.
            await driver.waitUntilConnected(5000);
            return driver;
          },
        },
        DriverCloser,
      ],
      exports: [QUEUE_DRIVER],
    };
  }
}
