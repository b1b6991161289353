import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { HeldMark, IDEMPOTENCY_STORE, IdempotencyReservation, IdempotencyStore, QueuedEvent, withTimeout } from '@spillway/queue';
import { KeyInFlightError } from './errors';
import type { EventResult } from './ingest.service';

/** How often idempotency records past their retention are deleted. */
const IDEMPOTENCY_SWEEP_MS = 60_000;

/**
 * Idempotency-Key records around one request: reserved before anything is written, closed or
 * freed by the broker's answer, and swept past their retention in the background.
 */
@Injectable()
export class IdempotencyGate implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('IdempotencyGate');
  private readonly windowMs: number;
  /** A pending record younger than this belongs to a request still awaiting the broker. */
  private readonly pendingMs: number;
  private readonly enqueueTimeoutMs: number;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(SPILLWAY_CONFIG) config: SpillwayConfig,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
  ) {
    this.windowMs = config.idempotencyWindowMs;
    this.pendingMs = config.enqueueTimeoutMs + 250;
    this.enqueueTimeoutMs = config.enqueueTimeoutMs;
  }

  onModuleInit(): void {
    this.sweepTimer = setInterval(() => void this.store.sweep().catch(() => undefined), IDEMPOTENCY_SWEEP_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /** The window `now` falls in: the generation of a key whose store could not be reached. */
  windowOf(now: number): number {
    return Math.floor(now / this.windowMs);
  }

  /**
   * Reserves the key before anything is written. Returns the reservation (its generation gives the
   * ids), or throws KeyInFlightError while an earlier request with the key still awaits the
   * broker. A store that cannot be reached does not refuse ingest: undefined, and the ids take the
   * current window's number, so retries within one window still map to the same ids.
   */
  async reserve(tenant: string, key: string, now: number): Promise<IdempotencyReservation | undefined> {
    let reservation: IdempotencyReservation;
    try {
      reservation = await this.store.reserve(tenant, key, this.windowOf(now));
    } catch (err) {
      this.logger.warn(`idempotency store unreachable, ingesting without a record: ${(err as Error).message}`);
      return undefined;
    }
    if (!reservation.fresh && !reservation.held && reservation.ageMs < this.pendingMs) throw new KeyInFlightError();
    return reservation;
  }

  /**
   * A mark for the broker write to carry, so the record is settled in the write's own round trip
   * (a Redis store beside BullMQ); undefined where the store cannot (Postgres).
   */
  heldMark(tenant: string, key: string, generation: number | undefined, events: readonly QueuedEvent[]): HeldMark | undefined {
    if (generation === undefined || !this.store.heldMark) return undefined;
    return this.store.heldMark(tenant, key, generation, events);
  }

  /** Nothing of the request was written: forget the record so a retry starts afresh. */
  release(tenant: string, key: string, generation: number | undefined): void {
    void this.store.release(tenant, key, generation).catch(() => undefined);
  }

  /**
   * After the broker's answer: a held request closes its record BEFORE its 202 goes out, so a retry
   * sent on that 202 is answered from the record instead of 409 "still awaiting the broker" (waited
   * for at most ENQUEUE_TIMEOUT_MS: a store that does not answer leaves the record pending, which a
   * retry after the pending time re-enqueues under the same ids). A record the write's own mark
   * already settled (`mark.marked`) costs nothing more. A wholly refused one is freed.
   */
  async settle(tenant: string, key: string, generation: number | undefined, results: readonly EventResult[], mark?: HeldMark): Promise<void> {
    if (results.every((r) => r.outcome === 'held')) {
      if (mark?.marked) return;
      const marked = this.store.markHeld(tenant, key, generation);
      await withTimeout(marked, this.enqueueTimeoutMs, () => new Error('markHeld timed out')).catch(() => undefined);
    } else if (results.every((r) => r.outcome === 'refused')) this.release(tenant, key, generation);
    // Anything else stays pending: a retry after pendingMs enqueues the same ids again, which the ledger makes harmless.
  }
}
