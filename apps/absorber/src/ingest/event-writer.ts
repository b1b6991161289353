import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Lane, LANES } from '@spillway/config';
import { HeldMark, outcomeOf, QueuedEvent } from '@spillway/queue';
import { Metrics } from '@spillway/health';
import { EnqueueBatcher } from './enqueue-batcher';
import type { EventResult } from './ingest.service';
import { LaneShedder } from './lane-shedder';

/**
 * Hands admitted events to the broker (one write per lane, shared with the other requests of the
 * turn) and reads each event's own fate from the answer; counts what was sent (the shedder's free
 * signal) and what was held (`spillway_events_accepted_total`).
 */
@Injectable()
export class EventWriter {
  /** Per-lane counter children, so the hot path does not hash a label object per request. */
  private readonly acceptedBy = {} as Record<Lane, Counter.Internal>;

  constructor(
    private readonly batcher: EnqueueBatcher,
    private readonly shedder: LaneShedder,
    metrics: Metrics,
  ) {
    for (const lane of LANES) this.acceptedBy[lane] = metrics.accepted.labels({ lane });
  }

  /**
   * Call Admission.admit first. Never rejects: every event's outcome is in its result. `mark` (the
   * request's Idempotency-Key record) goes with the write when the events are all of one lane;
   * whether it took effect is in `mark.marked`.
   */
  async write(events: readonly QueuedEvent[], mark?: HeldMark): Promise<EventResult[]> {
    if (events.length === 1) return [this.resultOf(events[0], await this.batcher.enqueueOne(events[0], mark))];
    const byLane = new Map<Lane, QueuedEvent[]>();
    for (const e of events) {
      const list = byLane.get(e.lane);
      if (list) list.push(e);
      else byLane.set(e.lane, [e]);
    }
    if (byLane.size === 1) {
      const [[lane, list]] = byLane;
      const error = await this.batcher.enqueue(lane, list, mark);
      return events.map((e) => this.resultOf(e, error));
    }
    const errorOf = new Map<Lane, unknown>();
    await Promise.all([...byLane].map(async ([lane, list]) => errorOf.set(lane, await this.batcher.enqueue(lane, list))));
    return events.map((e) => this.resultOf(e, errorOf.get(e.lane)));
  }

  private resultOf(e: QueuedEvent, error: unknown): EventResult {
    const outcome = outcomeOf(error, e.id);
    if (outcome !== 'refused') this.shedder.sent(e.lane, 1);
    if (outcome === 'held') {
      this.acceptedBy[e.lane].inc();
      return { id: e.id, lane: e.lane, outcome };
    }
    return { id: e.id, lane: e.lane, outcome, reason: (error as Error)?.message ?? String(error) };
  }
}
