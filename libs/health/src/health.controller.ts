import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { DrainState } from './drain.state';
import { DATABASE_PING, DatabasePing, ReadinessCheck, runReadiness } from './readiness';
import { StartupState } from './startup.state';

/** Which process this readiness is for: the absorber needs the broker only, a worker the database too. */
export type ReadinessRole = 'absorber' | 'worker';
export const READINESS_ROLE = Symbol('READINESS_ROLE');

const DATABASE_PING_TIMEOUT_MS = 1000;

@Controller('health')
export class HealthController {
  private readonly checks: Record<string, ReadinessCheck>;

  constructor(
    drain: DrainState,
    startup: StartupState,
    @Inject(QUEUE_DRIVER) queue: QueueDriver,
    @Inject(READINESS_ROLE) role: ReadinessRole,
    @Optional() @Inject(DATABASE_PING) pingDatabase?: DatabasePing,
  ) {
    this.checks = {
      shutdown: () => (drain.isDraining ? { status: 'down', message: 'draining' } : { status: 'up' }),
      broker: async () => {
        try {
          await queue.ping();
          return { status: 'up', driver: queue.name };
        } catch (err) {
          return { status: 'down', driver: queue.name, message: (err as Error).message };
        }
      },
    };
    if (role === 'worker') {
      if (!pingDatabase) throw new Error('worker readiness needs the database ping (import DbModule)');
      this.checks.database = async () => {
        await pingDatabase(DATABASE_PING_TIMEOUT_MS);
        return { status: 'up' };
      };
      // Reachable is not enough for a worker: it consumes only once the schema is current.
      this.checks.consumers = () => (startup.waitingFor ? { status: 'down', message: startup.waitingFor } : { status: 'up' });
    }
  }

  /** The process is up and its event loop turns; nothing external is checked on purpose. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Safe to send traffic here: not draining and the broker reachable; for a worker also the
   * database reachable and its lanes consuming. The absorber never checks the database: it holds
   * events in the broker only. 503 with the same body when any check is down.
   */
  @Get('ready')
  async ready() {
    const report = await runReadiness(this.checks);
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    return report;
  }
}
