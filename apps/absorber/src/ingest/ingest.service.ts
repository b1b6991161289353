import { HttpException, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Lane, LaneRouter, LANES, SPILLWAY_CONFIG, SpillwayConfig } from '../../../../libs/config/src';
import { BrokerUnavailableError, EventOrigin, IDEMPOTENCY_STORE, IdempotencyReservation, IdempotencyStore, outcomeOf, QUEUE_DRIVER, QueueDriver, QueuedEvent, withTimeout } from '../../../../libs/queue/src';
import { Metrics } from '../../../../libs/health/src';
import { EnqueueBatcher } from './enqueue-batcher';
import { idempotentEventId, newEventId } from './event-ids';
import { originOf, ReservedTypes } from './event-origin';
import { EventInput } from './event-validator';
import { LaneShedder, SHEDDER_SAMPLING } from './lane-shedder';
import { OutcomeUnknownError } from './outcome-unknown';
import { RetryLaterError } from './retry-later.filter';
import { SignatureVerifier } from './signature';
import { TenantRateLimiter } from './tenant-rate-limiter';

/** What a shed request is told: long enough for workers to make headway. */
const SHED_RETRY_AFTER_S = 5;
/** How often idempotency records past their retention are deleted. */
const IDEMPOTENCY_SWEEP_MS = 60_000;

export interface Accepted {
  id: string;
  lane: Lane;
}

/** One event's answer: held (202), refused (nothing held) or unknown (the broker did not say). */
export type EventResult = Accepted & ({ outcome: 'held' } | { outcome: 'refused' | 'unknown'; reason: string });

/** Turns validated input into queued events: lane, id, dedupe, then the broker. */
@Injectable()
export class IngestService implements OnModuleInit, OnModuleDestroy {
  private readonly router: LaneRouter;
  private readonly limiter: TenantRateLimiter;
  private readonly shedder: LaneShedder;
  private readonly signatures: SignatureVerifier;
  private readonly reserved: ReservedTypes;
  /** Per-lane counter children, so the hot path does not hash a label object per request. */
  private readonly acceptedBy = {} as Record<Lane, Counter.Internal>;
  /** `receivedAt` of the current millisecond: thousands of requests a second share a handful of them. */
  private isoMs = -1;
  private iso = '';
  private sweepTimer?: NodeJS.Timeout;
  private readonly logger = new Logger('IngestService');
  private readonly windowMs: number;
  /** A pending record younger than this belongs to a request still awaiting the broker. */
  private readonly pendingMs: number;
  private readonly enqueueTimeoutMs: number;

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
    this.shedder = new LaneShedder(
      config.laneHighWater,
      driver.backlog ? (lane) => driver.backlog!(lane) : (lane) => driver.depth(lane),
      config.redisMemoryHighWater,
      driver.memoryUse ? () => driver.memoryUse!() : undefined,
      { ...SHEDDER_SAMPLING, exactDepth: driver.capabilities.exactDepth },
    );
    this.signatures = new SignatureVerifier(config.hmacSecrets, config.signatureToleranceS);
    this.reserved = new ReservedTypes(config.webhooks);
    this.windowMs = config.idempotencyWindowMs;
    this.pendingMs = config.enqueueTimeoutMs + 250;
    this.enqueueTimeoutMs = config.enqueueTimeoutMs;
  }

  onModuleInit(): void {
    this.shedder.start();
    this.sweepTimer = setInterval(() => void this.idempotency.sweep().catch(() => undefined), IDEMPOTENCY_SWEEP_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    this.shedder.stop();
    clearInterval(this.sweepTimer);
  }

  checkSignature(rawBody: Buffer | undefined, header: string | undefined): void {
    const problem = this.signatures.problem(rawBody, header);
    if (problem) throw new UnauthorizedException(problem);
  }

  /** Why an API key may not send this type (a webhook source's namespace), or undefined. */
  reservedTypeProblem(type: string, field?: string): string | undefined {
    return this.reserved.problem(type, field);
  }

  /**
   * Tenant rate (429, or 413 for a request larger than the tenant's whole burst), the lanes'
   * high-water marks (503) and the bound on events awaiting the broker (503): all refuse before
   * any write.
   */
  private admit(tenant: string, count: number, lanes: Iterable<Lane>): void {
    const allowed = this.limiter.take(tenant, count);
    if (!allowed.ok) {
      if (allowed.overBurst) {
        throw new HttpException(
          {
            statusCode: 413,
            error: 'Payload Too Large',
            message: `request holds ${count} events, more than this tenant's burst of ${allowed.burst} (2 s of TENANT_RATE_LIMIT=${this.limiter.ratePerSecond}); it can never be admitted: send at most ${allowed.burst} events per request`,
          },
          413,
        );
      }
      throw new RetryLaterError(429, `tenant over its rate of ${this.limiter.ratePerSecond} events/s; retry in ${allowed.retryAfterSeconds} s`, allowed.retryAfterSeconds);
    }
    for (const lane of lanes) {
      const over = this.shedder.over(lane);
      if (over?.kind === 'memory') {
        throw new RetryLaterError(503, `broker memory is ${over.percent}% full (lane ${lane} sheds at ${over.mark}%); nothing was accepted, retry later`, SHED_RETRY_AFTER_S);
      }
      if (over) {
        throw new RetryLaterError(503, `lane ${lane} is over its high-water mark (${over.backlog} >= ${over.mark} waiting); nothing was accepted, retry later`, SHED_RETRY_AFTER_S);
      }
    }
    this.batcher.admit(count);
  }

  private laneOf(input: EventInput): Lane {
    return this.router.laneFor(input.type, input.priority);
  }

  private toQueued(input: EventInput, lane: Lane, id: string, receivedAt: string, origin: EventOrigin, traceparent?: string): QueuedEvent {
    const event: QueuedEvent = { id, type: input.type, lane, data: input.data, receivedAt, origin };
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

  /**
   * Reserves the Idempotency-Key before anything is written. Returns the reservation (its
   * generation gives the ids), or throws 409 while an earlier request with the key still awaits
   * the broker. A store that cannot be reached does not refuse ingest: the generation is then the
   * current window's number, so retries within one window still map to the same ids.
   */
  private async reserve(tenant: string, key: string, now: number): Promise<IdempotencyReservation | undefined> {
    const proposed = Math.floor(now / this.windowMs);
    let reservation: IdempotencyReservation;
    try {
      reservation = await this.idempotency.reserve(tenant, key, proposed);
    } catch (err) {
      this.logger.warn(`idempotency store unreachable, ingesting without a record: ${(err as Error).message}`);
      return undefined;
    }
    if (!reservation.fresh && !reservation.held && reservation.ageMs < this.pendingMs) {
      throw new RetryLaterError(409, 'a request with this Idempotency-Key is still awaiting the broker; retry with the same key', 1);
    }
    return reservation;
  }

  /**
   * After the broker's answer: a held request closes its record BEFORE its 202 goes out, so a retry
   * sent on that 202 is answered from the record instead of 409 "still awaiting the broker" (waited
   * for at most ENQUEUE_TIMEOUT_MS: a store that does not answer leaves the record pending, which a
   * retry after the pending time re-enqueues under the same ids). A wholly refused one is freed.
   */
  private async settleRecord(tenant: string, key: string, generation: number | undefined, results: EventResult[]): Promise<void> {
    if (results.every((r) => r.outcome === 'held')) {
      const marked = this.idempotency.markHeld(tenant, key, generation);
      await withTimeout(marked, this.enqueueTimeoutMs, () => new Error('markHeld timed out')).catch(() => undefined);
    } else if (results.every((r) => r.outcome === 'refused')) void this.idempotency.release(tenant, key, generation).catch(() => undefined);
    // Anything else stays pending: a retry after pendingMs enqueues the same ids again, which the ledger makes harmless.
  }

  /** One event: the single-event route's call. 202 only when held; else 503 (refused) or 504 (unknown). */
  async acceptOne(input: EventInput, tenant: string, idempotencyKey?: string, traceparent?: string): Promise<Accepted> {
    const [result] = await this.accept([input], tenant, idempotencyKey, false, traceparent);
    if (result.outcome === 'held') return { id: result.id, lane: result.lane };
    if (result.outcome === 'refused') throw new BrokerUnavailableError(result.reason);
    throw new OutcomeUnknownError(result.id, result.lane, idempotencyKey, result.reason);
  }

  /**
   * Accepts one request's events and says, per event, whether the broker holds it. With an
   * Idempotency-Key, ids derive from it and its generation; a key whose request was held within
   * the window returns those ids and enqueues nothing.
   */
  async accept(inputs: EventInput[], tenant: string, idempotencyKey?: string, indexed = false, traceparent?: string): Promise<EventResult[]> {
    const now = Date.now();
    const lanes = inputs.map((input) => this.laneOf(input));
    this.admit(tenant, inputs.length, new Set(lanes));
    let generation: number | undefined;
    let reservation: IdempotencyReservation | undefined;
    if (idempotencyKey) {
      reservation = await this.reserve(tenant, idempotencyKey, now);
      generation = reservation ? reservation.generation : Math.floor(now / this.windowMs);
    }
    const idOf = (i: number) =>
      idempotencyKey ? idempotentEventId(tenant, idempotencyKey, indexed ? i : undefined, generation) : newEventId(now);
    const origin = originOf(tenant);
    const events = inputs.map((input, i) => this.toQueued(input, lanes[i], input.id ?? idOf(i), this.receivedAt(now), origin, traceparent));
    if (reservation?.held) return events.map((e) => ({ id: e.id, lane: e.lane, outcome: 'held' }));
    if (reservation) {
      // Checked again: the reservation took a round trip, in which others may have filled the bound.
      try {
        this.batcher.admit(events.length);
      } catch (err) {
        void this.idempotency.release(tenant, idempotencyKey!, generation).catch(() => undefined);
        throw err;
      }
    }
    const results = await this.write(events);
    if (reservation) await this.settleRecord(tenant, idempotencyKey!, generation, results);
    return results;
  }

  /** One write per lane (shared with other requests of this turn); each event's own fate. */
  private async write(events: QueuedEvent[]): Promise<EventResult[]> {
    const errorOf = new Map<Lane, unknown>();
    if (events.length === 1) errorOf.set(events[0].lane, await this.batcher.enqueueOne(events[0]));
    else {
      const byLane = new Map<Lane, QueuedEvent[]>();
      for (const e of events) {
        const list = byLane.get(e.lane);
        if (list) list.push(e);
        else byLane.set(e.lane, [e]);
      }
      await Promise.all([...byLane].map(async ([lane, list]) => errorOf.set(lane, await this.batcher.enqueue(lane, list))));
    }
    return events.map((e): EventResult => {
      const error = errorOf.get(e.lane);
      const outcome = outcomeOf(error, e.id);
      if (outcome !== 'refused') this.shedder.sent(e.lane, 1);
      if (outcome === 'held') {
        this.acceptedBy[e.lane].inc();
        return { id: e.id, lane: e.lane, outcome };
      }
      return { id: e.id, lane: e.lane, outcome, reason: (error as Error)?.message ?? String(error) };
    });
  }
}
