import { Lane, LANES } from '@spillway/config';
import { SamplingPlan, SHEDDER_SAMPLING } from '@spillway/queue';
import type { BrokerMemory, LaneDepth } from '@spillway/queue';

/** Why a lane is refusing: its own backlog, or the broker's memory (shared by every lane). */
export type Overload =
  | { kind: 'backlog'; backlog: number; mark: number }
  | { kind: 'memory'; percent: number; mark: number };

/** What the shedder reads per lane: the backlog only (waiting + delayed). */
export type LaneBacklog = Pick<LaneDepth, 'waiting' | 'delayed'>;

/**
 * Refuses new events for a lane whose backlog (waiting + delayed broker messages) is over its
 * high-water mark, so a flood cannot exhaust the broker. Marks are set lowest for `low` and
 * highest for `critical`, so under a growing backlog low sheds first and critical last.
 *
 * Events differ in size, so a count of messages cannot bound a broker that keeps them in memory:
 * with a memory sampler (Redis with `maxmemory`), a lane also sheds once used memory reaches its
 * percentage of the bound, before Redis (noeviction) starts refusing writes.
 * Both are sampled in the background, never on the request path. On a broker whose counts cost a
 * request each and refresh slowly (SQS), a lane is read once per `idleMs` at rest, and once per
 * `busyMs` while this absorber's own sends (counted by `sent`, free) could have carried it near
 * its mark or its last reading was near or over it. The decision itself is always the last reading.
 */
export class LaneShedder {
  private readonly backlog: Record<Lane, number> = { critical: 0, normal: 0, low: 0 };
  private readonly sentSince: Record<Lane, number> = { critical: 0, normal: 0, low: 0 };
  private readonly readAt: Record<Lane, number> = { critical: -Infinity, normal: -Infinity, low: -Infinity };
  private memoryPercent = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly highWater: Record<Lane, number>,
    private readonly depth: (lane: Lane) => Promise<LaneBacklog>,
    private readonly memoryHighWater: Record<Lane, number> = { critical: 0, normal: 0, low: 0 },
    private readonly memory?: () => Promise<BrokerMemory | undefined>,
    private readonly plan: SamplingPlan = { ...SHEDDER_SAMPLING, exactDepth: true },
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 for a lane means no mark. */
  over(lane: Lane): Overload | undefined {
    const memMark = this.memory ? this.memoryHighWater[lane] : 0;
    if (memMark > 0 && this.memoryPercent >= memMark) return { kind: 'memory', percent: this.memoryPercent, mark: memMark };
    const mark = this.highWater[lane];
    const backlog = this.backlog[lane];
    return mark > 0 && backlog >= mark ? { kind: 'backlog', backlog, mark } : undefined;
  }

  /** Events this absorber handed to the broker for a lane: the free signal that brings the next read forward. */
  sent(lane: Lane, count: number): void {
    this.sentSince[lane] += count;
  }

  /** Whether a lane is read on this tick. */
  due(lane: Lane, now: number): boolean {
    const mark = this.highWater[lane];
    if (mark <= 0) return false;
    if (this.plan.exactDepth) return true;
    const since = now - this.readAt[lane];
    if (since >= this.plan.idleMs) return true;
    if (since < this.plan.busyMs) return false;
    return this.backlog[lane] + this.sentSince[lane] >= mark * this.plan.nearShare;
  }

  /** Reads every lane that is due (all of them when `all`), and the memory fill. */
  async sample(all = true): Promise<void> {
    const now = this.now();
    await Promise.all([
      ...LANES.map(async (lane) => {
        if (this.highWater[lane] <= 0 || (!all && !this.due(lane, now))) return;
        this.readAt[lane] = now;
        const sentBefore = this.sentSince[lane];
        try {
          const d = await this.depth(lane);
          this.backlog[lane] = d.waiting + d.delayed;
          // Sends made while the read was in flight may not be in it: they count towards the next.
          this.sentSince[lane] -= sentBefore;
        } catch {
          // Broker unreachable: enqueue itself answers 503; keep the last sample.
        }
      }),
      this.sampleMemory(),
    ]);
  }

  private async sampleMemory(): Promise<void> {
    if (!this.memory || LANES.every((l) => this.memoryHighWater[l] <= 0)) return;
    try {
      const m = await this.memory();
      this.memoryPercent = m ? Math.floor((m.usedBytes / m.maxBytes) * 100) : 0;
    } catch {
      // Broker unreachable: enqueue itself answers 503; keep the last sample.
    }
  }

  start(): void {
    const marks = [...Object.values(this.highWater), ...(this.memory ? Object.values(this.memoryHighWater) : [])];
    if (marks.every((m) => m <= 0)) return;
    const tick = () => {
      this.timer = setTimeout(() => void this.sample(false).finally(tick), this.plan.tickMs);
      this.timer.unref();
    };
    void this.sample().finally(tick);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
