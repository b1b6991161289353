import type { QueuedEvent } from '../queue.port';
import type { HeldMark } from './held-mark';

/**
 * The record of one Idempotency-Key. Event ids derive from (tenant, key, generation), so a retry
 * within the window gets the same ids; a key reused after the window gets a new generation, hence
 * new events. `generation` is undefined only for records written before generations existed.
 */
export interface IdempotencyReservation {
  generation?: number;
  /** An earlier request with this key had every event held: answer its ids, enqueue nothing. */
  held: boolean;
  /** This call created the record (the first request of the key in this window). */
  fresh: boolean;
  /** Milliseconds since the record was reserved. */
  ageMs: number;
}

/**
 * Idempotency-Key records, reserved atomically BEFORE the broker write: of two concurrent requests
 * with one key exactly one creates the record. A record is live for the window
 * (IDEMPOTENCY_WINDOW_SECONDS) and kept for the retention (IDEMPOTENCY_RETENTION_SECONDS).
 */
export interface IdempotencyStore {
  /** Creates the record (generation `proposed` or later) unless a live one exists; returns it. */
  reserve(scope: string, key: string, proposed: number): Promise<IdempotencyReservation>;
  /** Every event of the request is held: later requests with the key enqueue nothing. */
  markHeld(scope: string, key: string, generation: number | undefined): Promise<void>;
  /**
   * A mark the broker write can carry (held-mark.ts), for a store that shares the broker's Redis;
   * absent where it cannot (Postgres): the caller then calls markHeld after the write.
   */
  heldMark?(scope: string, key: string, generation: number, events: readonly QueuedEvent[]): HeldMark;
  /** Nothing of the request was held: forget the record so a retry starts afresh. */
  release(scope: string, key: string, generation: number | undefined): Promise<void>;
  /** Deletes records past their retention; returns how many. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
