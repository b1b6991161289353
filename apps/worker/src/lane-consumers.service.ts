import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { pendingMigrations } from '@spillway/db';
import { DrainState, StartupState } from '@spillway/health';
import { Consumer, QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { DeliveryProcessor } from './delivery.processor';

/**
 * Starts one consumer per configured lane once the schema is in place (`npm run migrate` applies
 * it; no app migrates), and on shutdown stops them before the database and broker connections
 * close. Readiness stays down, saying what it waits for, until every lane consumes.
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
    private readonly startup: StartupState,
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

  /** Null once the schema is current, else what the worker waits for (a readiness message). */
  private async schemaWait(): Promise<string | null> {
    try {
      const pending = await pendingMigrations(this.dataSource);
      if (pending.length === 0) return null;
      return `waiting for migrations: ${pending.length} not applied (${pending.join(', ')}); run \`npm run migrate\``;
    } catch (err) {
      return `waiting for Postgres to check the schema: ${(err as Error).message}`;
    }
  }

  private async start(): Promise<void> {
    let said: string | undefined;
    for (let waiting = await this.schemaWait(); waiting && !this.stopped; waiting = await this.schemaWait()) {
      this.startup.waitFor(waiting);
      if (waiting !== said) this.logger.log(waiting);
      said = waiting;
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const lane of this.config.workerLanes) {
      if (this.stopped) return;
      const concurrency = this.config.workerConcurrency[lane];
      this.consumers.push(await this.driver.consume(lane, (d) => this.processor.process(d), { concurrency }));
      this.logger.log(`consuming lane ${lane} with concurrency ${concurrency}`);
    }
    if (!this.stopped) this.startup.started();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.drain.startDraining();
    await this.started;
    await Promise.all(this.consumers.map((c) => c.close()));
    this.consumers = [];
  }
}
