import { Injectable } from '@nestjs/common';
import { Lane, LaneRouter } from '@spillway/config';
import { BrokerUnavailableError, IdempotencyReservation, QueuedEvent } from '@spillway/queue';
import { Admission } from './admission';
import { Clock } from './clock';
import { OutcomeUnknownError } from './errors';
import { EventIds } from './event-ids';
import { originOf } from './event-origin';
import { EventInput } from './event-validator';
import { EventWriter } from './event-writer';
import { IdempotencyGate } from './idempotency-gate';

export interface Accepted {
  id: string;
  lane: Lane;
}

/** One event's answer: held (202), refused (nothing held) or unknown (the broker did not say). */
export type EventResult = Accepted & ({ outcome: 'held' } | { outcome: 'refused' | 'unknown'; reason: string });

/** One request's events, as every ingest route hands them over. */
export interface AcceptRequest {
  /** Validated events; an `id` set on one (a webhook delivery's) is kept. */
  events: EventInput[];
  /** The rate-limit and idempotency scope: an API key's tenant, or `hook:<source>`. */
  tenant: string;
  idempotencyKey?: string;
  /** Keyed ids also take each event's index (the batch route), so a retried batch maps to the same ids. */
  indexIds?: boolean;
  traceparent?: string;
}

/**
 * Turns one request's validated events into queued ones: lane, admission, Idempotency-Key, ids,
 * then the broker. Each step is its own injected part; this only puts them in order.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly router: LaneRouter,
    private readonly admission: Admission,
    private readonly keys: IdempotencyGate,
    private readonly ids: EventIds,
    private readonly writer: EventWriter,
    private readonly clock: Clock,
  ) {}

  /**
   * Says, per event, whether the broker holds it; throws an ingest error (errors.ts) when the
   * request is refused before any write. With an Idempotency-Key, ids derive from it and its
   * generation; a key whose request was held within the window returns those ids and enqueues nothing.
   */
  async accept(request: AcceptRequest): Promise<EventResult[]> {
    const inputs = request.events;
    const tenant = request.tenant;
    const key = request.idempotencyKey;
    const count = inputs.length;
    const now = this.clock.now();
    const lanes = new Array<Lane>(count);
    for (let i = 0; i < count; i++) lanes[i] = this.router.laneFor(inputs[i].type, inputs[i].priority);
    this.admission.admit(tenant, count, lanes);
    let reservation: IdempotencyReservation | undefined;
    let generation: number | undefined;
    if (key) {
      reservation = await this.keys.reserve(tenant, key, now);
      generation = reservation ? reservation.generation : this.keys.windowOf(now);
    }
    const receivedAt = this.clock.iso(now);
    const origin = originOf(tenant);
    const traceparent = request.traceparent;
    const events = new Array<QueuedEvent>(count);
    for (let i = 0; i < count; i++) {
      const input = inputs[i];
      const id = input.id ?? (key ? this.ids.keyed(tenant, key, request.indexIds ? i : undefined, generation) : this.ids.fresh(now));
      const event: QueuedEvent = { id, type: input.type, lane: lanes[i], data: input.data, receivedAt, origin };
      if (input.key !== undefined) event.key = input.key;
      if (traceparent !== undefined) event.traceparent = traceparent;
      events[i] = event;
    }
    if (reservation?.held) return events.map((e): EventResult => ({ id: e.id, lane: e.lane, outcome: 'held' }));
    if (reservation) {
      // Checked again: the reservation took a round trip, in which others may have filled the bound.
      try {
        this.admission.admitInFlight(count);
      } catch (err) {
        this.keys.release(tenant, key!, generation);
        throw err;
      }
    }
    const mark = reservation ? this.keys.heldMark(tenant, key!, generation, events) : undefined;
    const results = await this.writer.write(events, mark);
    if (reservation) await this.keys.settle(tenant, key!, generation, results, mark);
    return results;
  }
}

/**
 * A single event's answer (`POST /v1/events`, `/v1/hooks/<source>`): the event when held, else
 * BrokerUnavailableError (refused: nothing held) or OutcomeUnknownError (the broker did not say).
 */
export function heldOrThrow(result: EventResult, idempotencyKey: string | undefined): Accepted {
  if (result.outcome === 'held') return result;
  if (result.outcome === 'refused') throw new BrokerUnavailableError(result.reason);
  throw new OutcomeUnknownError(result.id, result.lane, idempotencyKey, result.reason);
}
