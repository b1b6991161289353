import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Lane, SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { EnqueueBatcher } from './enqueue-batcher';
import { LaneSheddingError, RateLimitedError, TooLargeError } from './errors';
import { LaneShedder } from './lane-shedder';
import { TenantRateLimiter } from './tenant-rate-limiter';

/**
 * Whether a request may be written at all, decided before any write: the tenant's rate, the
 * lanes' high-water marks and the bound on events awaiting the broker. Owns the shedder's sampling
 * (started and stopped with the module).
 */
@Injectable()
export class Admission implements OnModuleInit, OnModuleDestroy {
  private readonly limiter: TenantRateLimiter;

  constructor(
    @Inject(SPILLWAY_CONFIG) config: SpillwayConfig,
    private readonly shedder: LaneShedder,
    private readonly batcher: EnqueueBatcher,
  ) {
    this.limiter = new TenantRateLimiter(config.tenantRateLimit);
  }

  onModuleInit(): void {
    this.shedder.start();
  }

  onModuleDestroy(): void {
    this.shedder.stop();
  }

  /**
   * Throws TooLargeError (more events than the tenant's whole burst), RateLimitedError, then
   * LaneSheddingError for the first of `lanes` (one per event; repeats are fine) that sheds, then
   * the in-flight bound's InFlightBoundError.
   */
  admit(tenant: string, count: number, lanes: readonly Lane[]): void {
    const allowed = this.limiter.take(tenant, count);
    if (!allowed.ok) {
      if (allowed.overBurst) {
        throw new TooLargeError(
          `request holds ${count} events, more than this tenant's burst of ${allowed.burst} (2 s of TENANT_RATE_LIMIT=${this.limiter.ratePerSecond}); it can never be admitted: send at most ${allowed.burst} events per request`,
        );
      }
      throw new RateLimitedError(`tenant over its rate of ${this.limiter.ratePerSecond} events/s; retry in ${allowed.retryAfterSeconds} s`, allowed.retryAfterSeconds);
    }
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i];
      const over = this.shedder.over(lane);
      if (over?.kind === 'memory') {
        throw new LaneSheddingError(`broker memory is ${over.percent}% full (lane ${lane} sheds at ${over.mark}%); nothing was accepted, retry later`);
      }
      if (over) throw new LaneSheddingError(`lane ${lane} is over its high-water mark (${over.backlog} >= ${over.mark} waiting); nothing was accepted, retry later`);
    }
    this.batcher.admit(count);
  }

  /** The in-flight bound alone: checked again after an await in which others may have filled it. */
  admitInFlight(count: number): void {
    this.batcher.admit(count);
  }
}
