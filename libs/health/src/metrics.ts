import { Controller, Get, Header, Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Lane, LANES, SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { Delivery, QUEUE_DRIVER, QueueDriver } from '@spillway/queue';

/** What became of one delivery in this worker (`spillway_deliveries_total{outcome}`). */
export type DeliveryOutcome = 'succeeded' | 'failed' | 'failed_final' | 'deferred';

/**
 * The metrics both apps serve, with the same names on both drivers (docs/operations.md has the
 * table). Broker figures (depth, dead letters, age of the oldest event) are read at scrape time
 * where the broker's counts are exact and free (BullMQ); where each read is a billed request and
 * the counts are approximate anyway (SQS), at most once per SQS_METRICS_READ_S (default 60 s,
 * about how often SQS refreshes them), and `spillway_broker_reading_age_seconds` says how old the
 * figures served are.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly accepted = new Counter({
    name: 'spillway_events_accepted_total',
    help: 'Events acknowledged with 202, by lane',
    labelNames: ['lane'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'spillway_requests_rejected_total',
    help: 'Ingest requests refused, by HTTP status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly ingestSeconds = new Histogram({
    name: 'spillway_ingest_request_seconds',
    help: 'Ingest requests from arrival to answer, by lane (batch: "batch"; not routed: "none") and HTTP status',
    labelNames: ['lane', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly processed = new Counter({
    name: 'spillway_events_processed_total',
    help: 'Events whose handler committed, by lane',
    labelNames: ['lane'],
    registers: [this.registry],
  });
  readonly failedDeliveries = new Counter({
    name: 'spillway_deliveries_failed_total',
    help: 'Deliveries whose handling threw (they are retried or dead-lettered), by lane',
    labelNames: ['lane'],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'spillway_deliveries_total',
    help: 'Deliveries handled by this worker, by lane and outcome (failed_final: failed on its last attempt, so dead-lettered)',
    labelNames: ['lane', 'outcome'],
    registers: [this.registry],
  });
  readonly deliveryAttempts = new Histogram({
    name: 'spillway_delivery_attempt',
    help: 'Attempt number of each delivery handled, by lane (1 = first delivery)',
    labelNames: ['lane'],
    buckets: [1, 2, 3, 4, 5, 7, 10],
    registers: [this.registry],
  });
  readonly deliverySeconds = new Histogram({
    name: 'spillway_delivery_seconds',
    help: 'Time to handle one delivery',
    labelNames: ['lane'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly eventWaitSeconds = new Histogram({
    name: 'spillway_event_wait_seconds',
    help: 'From the 202 (receivedAt) to the start of handling, for the oldest event of each delivery, by lane',
    labelNames: ['lane'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  /** This worker's view of each lane: how long the last delivery it picked up had waited. */
  private readonly lastPickup = new Map<Lane, number>();

  constructor(@Inject(QUEUE_DRIVER) driver: QueueDriver, @Optional() @Inject(SPILLWAY_CONFIG) config?: SpillwayConfig) {
    this.readEveryMs = (config?.sqsMetricsReadS ?? 60) * 1000;
    collectDefaultMetrics({ register: this.registry });
    const depth = new Gauge({
      name: 'spillway_queue_depth',
      help: 'Events-carrying messages in the broker, by lane and state',
      labelNames: ['lane', 'state'],
      registers: [this.registry],
      collect: () => this.readBroker(),
    });
    const deadLetters = new Gauge({
      name: 'spillway_dead_letters',
      help: 'Dead-lettered messages, by lane (BullMQ: DLQ jobs plus failed jobs; SQS: DLQ visible + in flight)',
      labelNames: ['lane'],
      registers: [this.registry],
      collect: () => this.readBroker(),
    });
    const oldestAge = new Gauge({
      name: 'spillway_queue_oldest_age_seconds',
      help:
        'Age of the oldest waiting event, by lane. BullMQ: now minus the enqueue time of the oldest waiting job. ' +
        'SQS: the wait of the last delivery this worker picked up on the lane (0 when nothing waits); absent where neither is known',
      labelNames: ['lane'],
      registers: [this.registry],
      collect: () => this.readBroker(),
    });
    const brokerUp = new Gauge({
      name: 'spillway_broker_up',
      help: "1 when the broker answered this process's ping at scrape time (SQS: or any call of it in the last 30 s), else 0 (part of readiness)",
      registers: [this.registry],
      collect: () => this.readBroker(),
    });
    const readingAge = new Gauge({
      name: 'spillway_broker_reading_age_seconds',
      help: 'Age of the broker figures served (depth, dead letters, oldest age): 0 where read at each scrape (BullMQ); SQS: up to SQS_METRICS_READ_S',
      registers: [this.registry],
      collect: () => this.readBroker(),
    });
    this.brokerGauges = { driver, depth, deadLetters, oldestAge, brokerUp, readingAge };
  }

  private readonly brokerGauges: { driver: QueueDriver; depth: Gauge; deadLetters: Gauge; oldestAge: Gauge; brokerUp: Gauge; readingAge: Gauge };
  private brokerRound?: Promise<void>;
  /** On approximate-count brokers, how often the figures are read (SQS_METRICS_READ_S). */
  private readonly readEveryMs: number;
  /** When every lane was last read successfully. */
  private readAt = -Infinity;

  /**
   * One broker round per scrape feeds the three broker gauges (the registry collects them in
   * parallel, so they share the round in flight and agree with each other).
   */
  private readBroker(): Promise<void> {
    this.brokerRound ??= this.readBrokerOnce().finally(() => (this.brokerRound = undefined));
    return this.brokerRound;
  }

  private async readBrokerOnce(): Promise<void> {
    const { driver, brokerUp, readingAge } = this.brokerGauges;
    const up = await driver.ping().then(() => 1, () => 0);
    brokerUp.set(up);
    const now = Date.now();
    if (up && (driver.capabilities.exactDepth || now - this.readAt >= this.readEveryMs)) {
      if (await this.readLanes()) this.readAt = now;
    }
    // Down: the last broker figures stay (the alert on spillway_broker_up says why), and age.
    readingAge.set(Number.isFinite(this.readAt) ? Math.max(0, (Date.now() - this.readAt) / 1000) : 0);
  }

  /** Reads every lane's figures; false if any lane could not be read (the next scrape tries again). */
  private async readLanes(): Promise<boolean> {
    const { driver, depth, deadLetters, oldestAge } = this.brokerGauges;
    let all = true;
    for (const lane of LANES) {
      try {
        const d = await driver.depth(lane);
        for (const [state, value] of Object.entries(d)) depth.set({ lane, state }, value);
        deadLetters.set({ lane }, d.deadLettered);
        const age = await driver.oldestAgeSeconds(lane);
        const seen = this.lastPickup.get(lane);
        if (age !== undefined) oldestAge.set({ lane }, age);
        else if (d.waiting === 0) oldestAge.set({ lane }, 0);
        else if (seen !== undefined) oldestAge.set({ lane }, seen);
      } catch {
        // Broker down: leave the last values; readiness reports the outage.
        all = false;
      }
    }
    return all;
  }

  /** The worker's side of a delivery: outcome, attempt number, and how long it had waited. */
  observeDelivery(delivery: Delivery, outcome: DeliveryOutcome, startedAt = Date.now()): void {
    const lane = delivery.lane;
    this.deliveries.inc({ lane, outcome });
    if (outcome === 'deferred') return;
    this.deliveryAttempts.observe({ lane }, delivery.attempt);
    if (delivery.attempt !== 1) return;
    const oldest = Math.min(...delivery.events.map((e) => Date.parse(e.receivedAt)).filter((t) => !Number.isNaN(t)));
    if (!Number.isFinite(oldest)) return;
    const waited = Math.max(0, (startedAt - oldest) / 1000);
    this.eventWaitSeconds.observe({ lane }, waited);
    this.lastPickup.set(lane, waited);
  }
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
