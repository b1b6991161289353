import { Lane, LANES } from '../../../../libs/config/src';
import type { BrokerMemory, LaneDepth } from '../../../../libs/queue/src';

/** Why a lane is refusing: its own backlog, or the broker's memory (shared by every lane). */
export type Overload =
  | { kind: 'backlog'; backlog: number; mark: number }
  | { kind: 'memory'; percent: number; mark: number };

/**
 * Refuses new events for a lane whose backlog (waiting + delayed broker messages) is over its
 * high-water mark, so a flood cannot exhaust the broker. Marks are set lowest for `low` and
 * highest for `critical`, so under a growing backlog low sheds first and critical last.
 *
 * Events differ in size, so a count of messages cannot bound a broker that keeps them in memory:
 * with a memory sampler (Redis with `maxmemory`), a lane also sheds once used memory reaches its
 * percentage of the bound, before Redis (noeviction) starts refusing writes.
 * Both are sampled in the background, never on the request path.
 */
export class LaneShedder {
  private readonly backlog: Record<Lane, number> = { critical: 0, normal: 0, low: 0 };
  private memoryPercent = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly highWater: Record<Lane, number>,
    private readonly depth: (lane: Lane) => Promise<LaneDepth>,
    private readonly memoryHighWater: Record<Lane, number> = { critical: 0, normal: 0, low: 0 },
    private readonly memory?: () => Promise<BrokerMemory | undefined>,
  ) {}

  /** 0 for a lane means no mark. */
  over(lane: Lane): Overload | undefined {
    const memMark = this.memory ? this.memoryHighWater[lane] : 0;
    if (memMark > 0 && this.memoryPercent >= memMark) return { kind: 'memory', percent: this.memoryPercent, mark: memMark };
    const mark = this.highWater[lane];
    const backlog = this.backlog[lane];
    return mark > 0 && backlog >= mark ? { kind: 'backlog', backlog, mark } : undefined;
  }

  async sample(): Promise<void> {
    await Promise.all([
      ...LANES.map(async (lane) => {
        if (this.highWater[lane] <= 0) return;
        try {
          const d = await this.depth(lane);
          this.backlog[lane] = d.waiting + d.delayed;
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

  start(everyMs: number): void {
    const marks = [...Object.values(this.highWater), ...(this.memory ? Object.values(this.memoryHighWater) : [])];
    if (marks.every((m) => m <= 0)) return;
    const tick = () => {
      this.timer = setTimeout(() => void this.sample().finally(tick), everyMs);
      this.timer.unref();
    };
    void this.sample().finally(tick);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
