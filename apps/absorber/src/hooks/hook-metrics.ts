import { Counter } from 'prom-client';
import type { Metrics } from '@spillway/health';

export type HookOutcome = 'accepted' | 'handshake' | 'unauthorized' | 'bad_request' | 'rate_limited' | 'refused' | 'unknown_outcome';

/**
 * `spillway_webhook_requests_total{source,outcome}` on the absorber's registry: per source, how
 * many requests were accepted, answered as a handshake, or refused and why (a sudden run of
 * `unauthorized` is a rotated secret not yet given to Spillway, or someone probing).
 */
export class HookMetrics {
  private readonly counter: Counter<'source' | 'outcome'>;
  private readonly children = new Map<string, Counter.Internal>();

  constructor(metrics: Metrics) {
    this.counter = new Counter({
      name: 'spillway_webhook_requests_total',
      help: 'Requests to /v1/hooks/<source>, by source and outcome',
      labelNames: ['source', 'outcome'],
      registers: [metrics.registry],
    });
  }

  count(source: string, outcome: HookOutcome): void {
    const id = `${source} ${outcome}`;
    let child = this.children.get(id);
    if (!child) this.children.set(id, (child = this.counter.labels({ source, outcome })));
    child.inc();
  }
}
