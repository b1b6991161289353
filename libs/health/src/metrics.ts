import { Controller, Get, Header, Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LANES } from '../../config/src';
import { QUEUE_DRIVER, QueueDriver } from '../../queue/src';

/** Counters both apps share; queue depth is read from the broker at scrape time, not cached. */
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
  readonly deliverySeconds = new Histogram({
    name: 'spillway_delivery_seconds',
    help: 'Time to handle one delivery',
    labelNames: ['lane'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(@Inject(QUEUE_DRIVER) driver: QueueDriver) {
    const depth = new Gauge({
      name: 'spillway_queue_depth',
      help: 'Events-carrying messages in the broker, by lane and state',
      labelNames: ['lane', 'state'],
      registers: [this.registry],
      async collect() {
        for (const lane of LANES) {
          try {
            const d = await driver.depth(lane);
            for (const [state, value] of Object.entries(d)) this.set({ lane, state }, value);
          } catch {
            // Broker down: leave the last values; readiness reports the outage.
          }
        }
      },
    });
    void depth;
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
