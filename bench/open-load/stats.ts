// What one open-model run saw. Latency is measured from each request's scheduled arrival, not from
// when it was sent: a generator that fell behind its schedule shows it as latency (no coordinated
// omission), and its lag is reported on its own.

export interface LoadSummary {
  rps: number;
  durationSeconds: number;
  /** Arrivals the schedule called for (rps x duration). */
  scheduled: number;
  sent: number;
  /** Arrivals not sent: the generator fell behind, or --max-in-flight requests were outstanding. */
  dropped: number;
  answered: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Requests with no answer: connection errors and timeouts, by message. */
  errors: Record<string, number>;
  /** Requests that failed: not answered 202. */
  failed: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** How far behind its schedule the generator sent (ms); large values mean the generator, not the server, was the limit. */
  maxSendLagMs: number;
  acknowledgedIds: string[];
  /** Acknowledged events by the lane the absorber answered (the definition's mix, routed by the absorber). */
  lanes: Record<string, number>;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export class LoadStats {
  sent = 0;
  dropped = 0;
  answered = 0;
  inFlight = 0;
  maxSendLagMs = 0;
  readonly statuses: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly ids: string[] = [];
  readonly lanes: Record<string, number> = {};
  private latencies = new Float64Array(1024);
  private count = 0;

  answer(status: number, latencyMs: number, ack?: { id: string; lane: string }): void {
    this.answered++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.latency(latencyMs);
    if (ack) {
      this.ids.push(ack.id);
      this.lanes[ack.lane] = (this.lanes[ack.lane] ?? 0) + 1;
    }
  }

  error(message: string, latencyMs: number): void {
    this.errors[message] = (this.errors[message] ?? 0) + 1;
    this.latency(latencyMs);
  }

  private latency(ms: number): void {
    if (this.count === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.count++] = ms;
  }

  percentiles(): LoadSummary['latencyMs'] {
    const sorted = this.latencies.slice(0, this.count).sort();
    const round = (v: number) => Math.round(v * 10) / 10;
    return {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.length ? sorted[sorted.length - 1] : 0),
    };
  }

  summary(rps: number, durationSeconds: number): LoadSummary {
    const scheduled = Math.round(rps * durationSeconds);
    const ok = this.statuses['202'] ?? 0;
    return {
      rps,
      durationSeconds,
      scheduled,
      sent: this.sent,
      dropped: this.dropped + Math.max(0, scheduled - this.sent - this.dropped),
      answered: this.answered,
      statuses: this.statuses,
      errors: this.errors,
      failed: this.sent - ok,
      latencyMs: this.percentiles(),
      maxSendLagMs: Math.round(this.maxSendLagMs),
      acknowledgedIds: this.ids,
      lanes: this.lanes,
    };
  }
}
