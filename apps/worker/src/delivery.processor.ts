import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Metrics } from '../../../libs/health/src';
import { Delivery, DependencyDownError, QueuedEvent } from '../../../libs/queue/src';

/** How long a lane pauses while Postgres is unreachable before trying again. */
const DATABASE_RETRY_MS = 1000;
import { deliveryFailureOutcome, deliveryLogLine } from './delivery-log';
import { EventHandler } from './handlers/event-handler';
import { HandlerRegistry } from './handlers/handler.registry';

export class EventsFailedError extends Error {
  constructor(readonly failures: Array<{ id: string; type: string; error: string }>) {
    super(`${failures.length} event(s) failed: ${failures.map((f) => `${f.id} (${f.type}): ${f.error}`).join('; ')}`);
    this.name = 'EventsFailedError';
  }
}

/**
 * Applies a delivery effect-once. In one transaction it claims each event's id in
 * `processed_events` (ON CONFLICT DO NOTHING: a redelivered or duplicate event claims nothing and
 * is skipped) and runs the handlers for what it claimed; commit makes claim and effect one fact.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly handlers: HandlerRegistry,
    private readonly metrics: Metrics,
  ) {}

  async process(delivery: Delivery): Promise<void> {
    const timer = this.metrics.deliverySeconds.startTimer({ lane: delivery.lane });
    const startedAt = Date.now();
    try {
      await this.processAll(delivery);
      this.metrics.observeDelivery(delivery, 'succeeded', startedAt);
      this.logger.debug(deliveryLogLine(delivery, 'succeeded'));
    } catch (err) {
      const outcome = deliveryFailureOutcome(delivery, err);
      if (outcome !== 'deferred') this.metrics.failedDeliveries.inc({ lane: delivery.lane });
      this.metrics.observeDelivery(delivery, outcome, startedAt);
      this.logger.warn(deliveryLogLine(delivery, outcome, err));
      throw err;
    } finally {
      timer();
    }
  }

  /** A failed delivery is only the handler's fault if the database still answers. */
  private async databaseIsUp(): Promise<boolean> {
    return this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
  }

  private async processAll(delivery: Delivery): Promise<void> {
    try {
      await this.dataSource.transaction((tx) => this.apply(tx, delivery.events, delivery));
      return;
    } catch (err) {
      if (!(await this.databaseIsUp())) {
        throw new DependencyDownError(`database unavailable: ${(err as Error).message}`, DATABASE_RETRY_MS);
      }
      if (delivery.events.length === 1) throw err;
    }
    // One bad event must not hold its batch-mates back: commit each good one on its own, then
    // fail the delivery so the broker retries (the committed ones are skipped by their claims).
    const failures: Array<{ id: string; type: string; error: string }> = [];
    for (const event of delivery.events) {
      try {
        await this.dataSource.transaction((tx) => this.apply(tx, [event], delivery));
      } catch (err) {
        failures.push({ id: event.id, type: event.type, error: (err as Error).message });
      }
    }
    if (failures.length) throw new EventsFailedError(failures);
  }

  private async apply(tx: EntityManager, events: QueuedEvent[], delivery: Delivery): Promise<void> {
    const claimed: Array<{ id: string }> = await tx.query(
      `INSERT INTO processed_events (id, type, lane, attempts)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.lane), events.map(() => delivery.attempt)],
    );
    if (claimed.length === 0) return;
    const fresh = new Set(claimed.map((r) => r.id));
    const groups = new Map<EventHandler, QueuedEvent[]>();
    for (const event of events) {
      if (!fresh.has(event.id)) continue;
      fresh.delete(event.id); // the same id twice in one delivery runs once
      const handler = this.handlers.resolve(event.type);
      if (!handler) throw new Error(`no handler for event type "${event.type}"`);
      const group = groups.get(handler);
      if (group) group.push(event);
      else groups.set(handler, [event]);
    }
    for (const [handler, group] of groups) await handler.handle(group, tx);
    this.metrics.processed.inc({ lane: delivery.lane }, claimed.length);
    if (delivery.attempt > 1) this.logger.debug(`lane ${delivery.lane}: ${claimed.length} event(s) done on attempt ${delivery.attempt}`);
  }
}
