import { Inject, Injectable, OnModuleDestroy, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { Lane, LaneRouter, SPILLWAY_CONFIG, SpillwayConfig } from '../../../../libs/config/src';
import { IDEMPOTENCY_STORE, IdempotencyStore, QUEUE_DRIVER, QueueDriver, QueuedEvent } from '../../../../libs/queue/src';
import { Metrics } from '../../../../libs/health/src';
import { EnqueueBatcher } from './enqueue-batcher';
import { idempotentEventId, newEventId } from './event-ids';
import { EventInput } from './event-validator';
import { LaneShedder } from './lane-shedder';
import { RetryLaterError } from './retry-later.filter';
import { SignatureVerifier } from './signature';
import { TenantRateLimiter } from './tenant-rate-limiter';

/** How often lane backlogs are sampled for shedding. */
const SHEDDER_SAMPLE_MS = 250;
/** What a shed request is told: long enough for workers to make headway. */
const SHED_RETRY_AFTER_S = 5;

export interface Accepted {
  id: string;
  lane: Lane;
}

/** Turns validated input into queued events: lane, id, dedupe, then the broker. */
@Injectable()
export class IngestService implements OnModuleInit, OnModuleDestroy {
  private readonly router: LaneRouter;
  private readonly limiter: TenantRateLimiter;
  private readonly shedder: LaneShedder;
  private readonly signatures: SignatureVerifier;

  constructor(
    @Inject(SPILLWAY_CONFIG) config: SpillwayConfig,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    @Inject(QUEUE_DRIVER) driver: QueueDriver,
    private readonly batcher: EnqueueBatcher,
    private readonly metrics: Metrics,
  ) {
    this.router = new LaneRouter(config.laneRoutes);
    this.limiter = new TenantRateLimiter(config.tenantRateLimit);
    this.shedder = new LaneShedder(config.laneHighWater, (lane) => driver.depth(lane));
    this.signatures = new SignatureVerifier(config.hmacSecrets);
  }

  onModuleInit(): void {
    this.shedder.start(SHEDDER_SAMPLE_MS);
  }

  onModuleDestroy(): void {
    this.shedder.stop();
  }

  checkSignature(rawBody: Buffer | undefined, header: string | undefined): void {
    const problem = this.signatures.problem(rawBody, header);
    if (problem) throw new UnauthorizedException(problem);
  }

  private toQueued(input: EventInput, id: string, receivedAt: string): QueuedEvent {
    const event: QueuedEvent = { id, type: input.type, lane: this.router.laneFor(input.type, input.priority), data: input.data, receivedAt };
    if (input.key !== undefined) event.key = input.key;
    return event;
  }

  /**
   * Accepts events (one request's worth). With an Idempotency-Key, ids derive from it; a key seen
   * in the last 24 h returns those ids and enqueues nothing. Resolves after the broker has them.
   */
  async accept(inputs: EventInput[], tenant: string, idempotencyKey?: string, indexed = false): Promise<Accepted[]> {
    const allowed = this.limiter.take(tenant, inputs.length);
    if (!allowed.ok) {
      throw new RetryLaterError(429, `tenant over its rate of ${this.limiter.ratePerSecond} events/s; retry in ${allowed.retryAfterSeconds} s`, allowed.retryAfterSeconds);
    }
    const receivedAt = new Date().toISOString();
    const events = inputs.map((input, i) =>
      this.toQueued(input, idempotencyKey ? idempotentEventId(tenant, idempotencyKey, indexed ? i : undefined) : newEventId(), receivedAt),
    );
    if (idempotencyKey && (await this.idempotency.seen(tenant, idempotencyKey))) {
      return events.map((e) => ({ id: e.id, lane: e.lane }));
    }
    const byLane = new Map<Lane, QueuedEvent[]>();
    for (const e of events) {
      const list = byLane.get(e.lane);
      if (list) list.push(e);
      else byLane.set(e.lane, [e]);
    }
    for (const lane of byLane.keys()) {
      const over = this.shedder.over(lane);
      if (over) {
        throw new RetryLaterError(503, `lane ${lane} is over its high-water mark (${over.backlog} >= ${over.mark} waiting); nothing was accepted, retry later`, SHED_RETRY_AFTER_S);
      }
    }
    await Promise.all([...byLane].map(([lane, list]) => this.batcher.enqueue(lane, list)));
    for (const [lane, list] of byLane) this.metrics.accepted.inc({ lane }, list.length);
    if (idempotencyKey) {
      // After the broker ack: if this write is lost, a retry enqueues the same ids again and
      // the worker's ledger turns the second copy into a no-op.
      await this.idempotency.remember(tenant, idempotencyKey, { id: events[0].id, lane: events[0].lane }).catch(() => undefined);
    }
    return events.map((e) => ({ id: e.id, lane: e.lane }));
  }
}
