import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SPILLWAY_CONFIG, SpillwayConfig } from '../../../libs/config/src';
import { schemaIsCurrent } from '../../../libs/db/src';
import { DrainState } from '../../../libs/health/src';
import { Consumer, QUEUE_DRIVER, QueueDriver } from '../../../libs/queue/src';
import { DeliveryProcessor } from './delivery.processor';

/**
 * Starts one consumer per configured lane once the schema is in place (migrations belong to
 * the absorber), and on shutdown stops them before the database and broker connections close.
 */
@Injectable()
export class LaneConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LaneConsumers.name);
  private consumers: Consumer[] = [];
  private stopped = false;
  private started?: Promise<void>;

  constructor(
    @Inject(SPILLWAY_CONFIG) private readonly config: SpillwayConfig,
    @Inject(QUEUE_DRIVER) private readonly driver: QueueDriver,
    private readonly dataSource: DataSource,
    private readonly processor: DeliveryProcessor,
    private readonly drain: DrainState,
  ) {}

  onApplicationBootstrap(): void {
    this.started = this.start().catch((err) => {
      this.logger.error(`consumers failed to start: ${(err as Error).message}`);
      process.exitCode = 1;
    });
  }

  /** Resolves once every lane is consuming; for tests and start-up logs. */
  whenStarted(): Promise<void> {
    return this.started ?? Promise.resolve();
  }

  private async start(): Promise<void> {
    let waited = false;
    while (!this.stopped && !(await schemaIsCurrent(this.dataSource))) {
      if (!waited) this.logger.log('waiting for migrations to be applied (the absorber runs them)');
      waited = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const lane of this.config.workerLanes) {
      if (this.stopped) return;
      const concurrency = this.config.workerConcurrency[lane];
      this.consumers.push(await this.driver.consume(lane, (d) => this.processor.process(d), { concurrency }));
      this.logger.log(`consuming lane ${lane} with concurrency ${concurrency}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.drain.startDraining();
    await this.started;
    await Promise.all(this.consumers.map((c) => c.close()));
    this.consumers = [];
  }
}
