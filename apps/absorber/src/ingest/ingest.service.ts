import { Inject, Injectable, OnModuleDestroy, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Lane, LaneRouter, LANES, SPILLWAY_CONFIG, SpillwayConfig } from '../../../../libs/config/src';
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
  /** Per-lane counter children, so the hot path does not hash a label object per request. */
  private readonly acceptedBy = {} as Record<Lane, Counter.Internal>;
  /** `receivedAt` of the current millisecond: thousands of requests a second share a handful of them. */
  private isoMs = -1;
  private iso = '';

  constructor(
    @Inject(SPILLWAY_CONFIG) config: SpillwayConfig,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    @Inject(QUEUE_DRIVER) driver: QueueDriver,
    private readonly batcher: EnqueueBatcher,
    metrics: Metrics,
  ) {
    this.router = new LaneRouter(config.laneRoutes);
    for (const lane of LANES) this.acceptedBy[lane] = metrics.accepted.labels({ lane });
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

  /** Tenant rate first (429), then the lanes' high-water marks (503): both refuse before any write. */
  private admit(tenant: string, count: number, lanes: Iterable<Lane>): void {
    const allowed = this.limiter.take(tenant, count);
    if (!allowed.ok) {
      throw new RetryLaterError(429, `tenant over its rate of ${this.limiter.ratePerSecond} events/s; retry in ${allowed.retryAfterSeconds} s`, allowed.retryAfterSeconds);
    }
    for (const lane of lanes) {
      const over = this.shedder.over(lane);
      if (over) {
        throw new RetryLaterError(503, `lane ${lane} is over its high-water mark (${over.backlog} >= ${over.mark} waiting); nothing was accepted, retry later`, SHED_RETRY_AFTER_S);
      }
    }
  }

  private toQueued(input: EventInput, id: string, receivedAt: string, traceparent?: string): QueuedEvent {
    const event: QueuedEvent = { id, type: input.type, lane: this.router.laneFor(input.type, input.priority), data: input.data, receivedAt };
    if (input.key !== undefined) event.key = input.key;
    if (traceparent !== undefined) event.traceparent = traceparent;
    return event;
  }

  private receivedAt(now: number): string {
    if (now !== this.isoMs) {
      this.isoMs = now;
      this.iso = new Date(now).toISOString();
    }
    return this.iso;
  }

  /** One event: the single-event route's call, without the batch path's grouping by lane. */
  async acceptOne(input: EventInput, tenant: string, idempotencyKey?: string, traceparent?: string): Promise<Accepted> {
    const now = Date.now();
    const id = idempotencyKey ? idempotentEventId(tenant, idempotencyKey) : newEventId(now);
    const event = this.toQueued(input, id, this.receivedAt(now), traceparent);
    const accepted: Accepted = { id, lane: event.lane };
    this.admit(tenant, 1, [event.lane]);
    if (idempotencyKey && (await this.idempotency.seen(tenant, idempotencyKey))) return accepted;
    await this.batcher.enqueueOne(event);
    this.acceptedBy[event.lane].inc();
    if (idempotencyKey) await this.remember(tenant, idempotencyKey, accepted);
    return accepted;
  }

  /**
   * Accepts events (one request's worth). With an Idempotency-Key, ids derive from it; a key seen
   * in the last 24 h returns those ids and enqueues nothing. Resolves after the broker has them.
   */
  async accept(inputs: EventInput[], tenant: string, idempotencyKey?: string, indexed = false, traceparent?: string): Promise<Accepted[]> {
    const now = Date.now();
    const receivedAt = this.receivedAt(now);
    const events = inputs.map((input, i) =>
      this.toQueued(input, idempotencyKey ? idempotentEventId(tenant, idempotencyKey, indexed ? i : undefined) : newEventId(now), receivedAt, traceparent),
    );
    const byLane = new Map<Lane, QueuedEvent[]>();
    for (const e of events) {
      const list = byLane.get(e.lane);
      if (list) list.push(e);
      else byLane.set(e.lane, [e]);
    }
    this.admit(tenant, events.length, byLane.keys());
    if (idempotencyKey && (await this.idempotency.seen(tenant, idempotencyKey))) {
      return events.map((e) => ({ id: e.id, lane: e.lane }));
    }
    await Promise.all([...byLane].map(([lane, list]) => this.batcher.enqueue(lane, list)));
    for (const [lane, list] of byLane) this.acceptedBy[lane].inc(list.length);
    if (idempotencyKey) await this.remember(tenant, idempotencyKey, { id: events[0].id, lane: events[0].lane });
    return events.map((e) => ({ id: e.id, lane: e.lane }));
  }

  /**
   * After the broker ack: if this write is lost, a retry enqueues the same ids again and the
   * worker's ledger turns the second copy into a no-op.
   */
  private remember(tenant: string, idempotencyKey: string, first: Accepted): Promise<void> {
    return this.idempotency.remember(tenant, idempotencyKey, first).catch(() => undefined);
  }
}
