import { randomUUID } from 'node:crypto';

export interface LoadResult {
  sent: number;
  acknowledged: string[];
  /** Answers other than 202, by status ("network" for a connection that failed). */
  refused: Record<string, number>;
  /** Worst latency of a 503 answer, ms. */
  slowest503Ms: number;
  /** The first message seen per refused status, for the failure report. */
  messages: Record<string, string>;
}

/**
 * A bounded load generator that records every acknowledged id. `targets()` is asked before each
 * request, so a test can play load balancer (drop an instance when its readiness fails).
 */
export class Load {
  private stopped = false;
  readonly result: LoadResult = { sent: 0, acknowledged: [], refused: {}, slowest503Ms: 0, messages: {} };
  private running?: Promise<void>;

  constructor(
    private readonly targets: () => string[],
    private readonly options: { concurrency: number; maxEvents: number; maxMs: number; type?: string; priority?: string; headers?: Record<string, string> },
  ) {}

  start(): this {
    const deadline = Date.now() + this.options.maxMs;
    const loop = async (n: number) => {
      while (!this.stopped && Date.now() < deadline && this.result.sent < this.options.maxEvents) {
        const urls = this.targets();
        if (urls.length === 0) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const url = urls[(this.result.sent + n) % urls.length];
        this.result.sent++;
        await this.post(url);
      }
    };
    this.running = Promise.all(Array.from({ length: this.options.concurrency }, (_, n) => loop(n))).then(() => undefined);
    return this;
  }

  private async post(base: string): Promise<void> {
    const started = Date.now();
    try {
      const body: Record<string, unknown> = { type: this.options.type ?? 'fault.count', data: { nonce: randomUUID() } };
      if (this.options.priority) body.priority = this.options.priority;
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      if (res.status === 202) this.result.acknowledged.push(JSON.parse(text).id);
      else {
        this.count(String(res.status));
        this.result.messages[res.status] ??= text.slice(0, 300);
      }
      if (res.status === 503) this.result.slowest503Ms = Math.max(this.result.slowest503Ms, Date.now() - started);
    } catch (err) {
      this.count('network');
      this.result.messages.network ??= String(err);
    }
  }

  private count(kind: string): void {
    this.result.refused[kind] = (this.result.refused[kind] ?? 0) + 1;
  }

  /** Waits until at least `n` events were acknowledged (or the load ends). */
  async untilAcknowledged(n: number): Promise<void> {
    while (this.result.acknowledged.length < n && !this.stopped) {
      if (await Promise.race([this.running, new Promise((r) => setTimeout(() => r('tick'), 20))]) !== 'tick') return;
    }
  }

  async stop(): Promise<LoadResult> {
    this.stopped = true;
    await this.running;
    return this.result;
  }

  finished(): Promise<LoadResult> {
    return this.running!.then(() => this.result);
  }
}
