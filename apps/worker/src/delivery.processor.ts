import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { Metrics } from '@spillway/health';
import { deadLettersOn, Delivery, DependencyDownError, orderingKey, originText, QueuedEvent, UnrecoverableError } from '@spillway/queue';

import { deliveryFailureOutcome, deliveryLogLine } from './delivery-log';
import { EventHandler } from './handlers/event-handler';
import { HandlerRegistry } from './handlers/handler.registry';
import { KeyFences } from './key-fences';

/** How long a lane pauses while Postgres is unreachable before trying again. */
const DATABASE_RETRY_MS = 1000;

/** One event of a delivery that failed, or was not run behind a failed one of its key. */
interface EventFailure {
  id: string;
  type: string;
  error: string;
  /** No retry can help it (UnrecoverableError, or held back only by such a failure in this delivery). */
  unrecoverable: boolean;
}

function failuresText(failures: EventFailure[]): string {
  return `${failures.length} event(s) failed: ${failures.map((f) => `${f.id} (${f.type}): ${f.error}`).join('; ')}`;
}

export class EventsFailedError extends Error {
  constructor(readonly failures: EventFailure[]) {
    super(failuresText(failures));
    this.name = 'EventsFailedError';
  }
}

/** Every failed event of the delivery is unrecoverable: the delivery policy dead-letters it at once. */
export class EventsUnrecoverableError extends UnrecoverableError {
  constructor(readonly failures: EventFailure[]) {
    super(failuresText(failures));
    this.name = 'EventsUnrecoverableError';
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
    const keys = [...new Set(delivery.events.flatMap((e) => orderingKey(e) ?? []))].sort();
    const runner = this.dataSource.createQueryRunner();
    let fences: KeyFences | undefined;
    try {
      await runner.connect();
      fences = await KeyFences.open(runner, delivery.lane, keys);
      if (!fences.any) {
        const failure = await this.inTransaction(runner, (tx) => this.apply(tx, delivery.events, delivery));
        if (!failure) return;
        if (delivery.events.length === 1) {
          await this.recordFailure(fences, delivery.events[0], deadLettersOn(delivery, failure));
          throw failure;
        }
      }
      await this.oneByOne(runner, fences, delivery);
    } catch (err) {
      if (err instanceof DependencyDownError || err instanceof EventsFailedError || err instanceof EventsUnrecoverableError) throw err;
      if (!(await this.databaseIsUp())) {
        throw new DependencyDownError(`database unavailable: ${(err as Error).message}`, DATABASE_RETRY_MS);
      }
      throw err;
    } finally {
      await fences?.close().catch(() => undefined);
      await runner.release();
    }
  }

  /** Runs `work` in a transaction on the runner; returns the handler's error, or throws if Postgres is down. */
  private async inTransaction(runner: QueryRunner, work: (tx: EntityManager) => Promise<void>): Promise<Error | undefined> {
    await runner.startTransaction();
    try {
      await work(runner.manager);
      await runner.commitTransaction();
      return undefined;
    } catch (err) {
      await runner.rollbackTransaction().catch(() => undefined);
      if (!(await this.databaseIsUp())) throw new DependencyDownError(`database unavailable: ${(err as Error).message}`, DATABASE_RETRY_MS);
      return err as Error;
    }
  }

  /**
   * One bad event must not hold its batch-mates back: each event commits on its own, in delivery
   * order, then the delivery fails so the broker retries the rest (committed ones are skipped by
   * their claims). An event of a key whose earlier event failed (here, or in another delivery:
   * the key's fence) is not run at all, so no later event of a key commits after an earlier one
   * failed.
   */
  private async oneByOne(runner: QueryRunner, fences: KeyFences, delivery: Delivery): Promise<void> {
    const failures: EventFailure[] = [];
    /** Per key, the event that failed first (here or, for a fence, in another delivery) and whether that failure is for good. */
    const failedKeys = new Map<string, { id: string; unrecoverable: boolean }>();
    const failedEvents: QueuedEvent[] = [];
    for (const event of delivery.events) {
      const key = orderingKey(event);
      const earlier = key !== undefined ? failedKeys.get(key) : undefined;
      const blocker = earlier?.id || fences.heldBy(key, event.id);
      if (blocker) {
        // Unrecoverable only behind an event of this delivery that failed for good; another delivery's fence may yet lift.
        const failure = { id: event.id, type: event.type, error: `not run: earlier event ${blocker} of key "${event.key}" has failed`, unrecoverable: earlier?.unrecoverable ?? false };
        failures.push(failure);
        if (key !== undefined && !failedKeys.has(key)) failedKeys.set(key, { id: blocker, unrecoverable: false });
        continue;
      }
      const failure = await this.inTransaction(runner, async (tx) => {
        await this.apply(tx, [event], delivery);
        if (fences.holds(key, event.id)) await fences.liftIn(tx, key!);
      });
      if (!failure) continue;
      const entry = { id: event.id, type: event.type, error: failure.message, unrecoverable: failure instanceof UnrecoverableError };
      failures.push(entry);
      if (key !== undefined) failedKeys.set(key, entry);
      failedEvents.push(event);
    }
    if (!failures.length) return;
    const error = failures.every((f) => f.unrecoverable) ? new EventsUnrecoverableError(failures) : new EventsFailedError(failures);
    const deadLetters = deadLettersOn(delivery, error);
    for (const event of failedEvents) await this.recordFailure(fences, event, deadLetters);
    throw error;
  }

  /** A failed keyed event fences its key while its delivery will run again; once it is dead-lettered the fence goes. */
  private async recordFailure(fences: KeyFences, event: QueuedEvent, deadLetters: boolean): Promise<void> {
    const key = orderingKey(event);
    if (key === undefined) return;
    if (deadLetters) {
      if (fences.holds(key, event.id)) await fences.lift(key);
      return;
    }
    await fences.fence(key, event.id);
  }

  private async apply(tx: EntityManager, events: QueuedEvent[], delivery: Delivery): Promise<void> {
    const claimed: Array<{ id: string }> = await tx.query(
      `INSERT INTO processed_events (id, type, lane, attempts, origin)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.lane), events.map(() => delivery.attempt), events.map((e) => originText(e.origin))],
    );
    if (claimed.length === 0) return;
    const fresh = new Set(claimed.map((r) => r.id));
    const groups = new Map<EventHandler, QueuedEvent[]>();
    for (const event of events) {
      if (!fresh.has(event.id)) continue;
      fresh.delete(event.id); // the same id twice in one delivery runs once
      const handler = this.handlers.resolve(event.type);
      // A retry cannot grow a handler: dead-lettered at once (redriven after a deploy that adds one).
      if (!handler) throw new UnrecoverableError(`no handler for event type "${event.type}"`);
      const group = groups.get(handler);
      if (group) group.push(event);
      else groups.set(handler, [event]);
    }
    for (const [handler, group] of groups) await handler.handle(group, tx);
    this.metrics.processed.inc({ lane: delivery.lane }, claimed.length);
    if (delivery.attempt > 1) this.logger.debug(`lane ${delivery.lane}: ${claimed.length} event(s) done on attempt ${delivery.attempt}`);
  }
}
