import { Lane, LANES } from '../../../../libs/config/src';
import type { LaneDepth } from '../../../../libs/queue/src';

/**
 * Refuses new events for a lane whose backlog (waiting + delayed broker messages) is over its
 * high-water mark, so a flood cannot exhaust the broker. Marks are set lowest for `low` and
 * highest for `critical`, so under a growing backlog low sheds first and critical last.
 * Depth is sampled in the background, never on the request path.
 */
export class LaneShedder {
  private readonly backlog: Record<Lane, number> = { critical: 0, normal: 0, low: 0 };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly highWater: Record<Lane, number>,
    private readonly depth: (lane: Lane) => Promise<LaneDepth>,
  ) {}

  /** 0 for a lane means no mark. */
  over(lane: Lane): { backlog: number; mark: number } | undefined {
    const mark = this.highWater[lane];
    const backlog = this.backlog[lane];
    return mark > 0 && backlog >= mark ? { backlog, mark } : undefined;
  }

  async sample(): Promise<void> {
    await Promise.all(
      LANES.map(async (lane) => {
        if (this.highWater[lane] <= 0) return;
        try {
          const d = await this.depth(lane);
          this.backlog[lane] = d.waiting + d.delayed;
        } catch {
          // Broker unreachable: enqueue itself answers 503; keep the last sample.
        }
      }),
    );
  }

  start(everyMs: number): void {
    if (Object.values(this.highWater).every((m) => m <= 0)) return;
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
