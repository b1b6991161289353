import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QUEUE_DRIVER, QueueDriver } from '../../queue/src';
import { DrainState } from './drain.state';

/** Which process this readiness is for: the absorber needs the broker only, a worker the database too. */
export type ReadinessRole = 'absorber' | 'worker';
export const READINESS_ROLE = Symbol('READINESS_ROLE');

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    // Connects to nothing itself: it pings TypeORM's DataSource, which only the worker has.
    private readonly db: TypeOrmHealthIndicator,
    private readonly drain: DrainState,
    @Inject(QUEUE_DRIVER) private readonly queue: QueueDriver,
    @Inject(READINESS_ROLE) private readonly role: ReadinessRole,
  ) {}

  /** The process is up and its event loop turns; nothing external is checked on purpose. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Safe to send traffic here: not draining and the broker reachable; for a worker also the
   * database. The absorber never checks the database: it holds events in the broker only.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    const checks: HealthIndicatorFunction[] = [
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
    ];
    if (this.role === 'worker') {
      checks.push(() => this.db.pingCheck('database', { timeout: 1000 }));
    }
    return this.health.check(checks);
  }
}
