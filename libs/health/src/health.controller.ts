import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QUEUE_DRIVER, QueueDriver } from '../../queue/src';
import { DrainState } from './drain.state';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly drain: DrainState,
    @Inject(QUEUE_DRIVER) private readonly queue: QueueDriver,
  ) {}

  /** The process is up and its event loop turns; nothing external is checked on purpose. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Broker and database reachable, and not draining: safe to send traffic here. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const drain = this.indicators.check('shutdown');
        return this.drain.isDraining ? drain.down({ message: 'draining' }) : drain.up();
      },
      async () => {
        const broker = this.indicators.check('broker');
        try {
          await this.queue.ping();
          return broker.up({ driver: this.queue.name });
        } catch (err) {
          return broker.down({ driver: this.queue.name, message: (err as Error).message });
        }
      },
      () => this.db.pingCheck('database', { timeout: 1000 }),
    ]);
  }
}
