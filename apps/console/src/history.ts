import { Lane, LANES } from '@spillway/config';

/** One reading of one lane of one side; `pending` null: the side could not be read then. */
export interface LanePoint {
  at: number;
  /** Broker messages waiting + in a retry backoff + in flight. */
  pending: number | null;
  /** spillway_events_accepted_total summed over the side's metrics URLs; null without them. */
  accepted: number | null;
  /** spillway_events_processed_total summed over the side's metrics URLs; null without them. */
  processed: number | null;
}

/** The chart's series for one lane: per sample, the depth and the rates since the sample before. */
export interface LaneSeries {
  at: number[];
  pending: Array<number | null>;
  /** Events/s accepted by the side's absorbers between two samples (counters). */
  inPerSecond: Array<number | null>;
  /** Events/s committed by the side's workers between two samples (counters). */
  outPerSecond: Array<number | null>;
  /** Change of `pending` per second between two samples (messages/s; negative: falling). */
  netPerSecond: Array<number | null>;
}

/** A fixed-size ring: the newest `capacity` points, oldest first when read. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

/** Growth per second; null when either end is missing or the counter went down (a restart). */
export function perSecond(before: number | null, after: number | null, seconds: number, allowNegative = false): number | null {
  if (before === null || after === null || seconds <= 0) return null;
  const grew = after - before;
  return grew < 0 && !allowNegative ? null : grew / seconds;
}

export function seriesOf(points: LanePoint[]): LaneSeries {
  const s: LaneSeries = { at: [], pending: [], inPerSecond: [], outPerSecond: [], netPerSecond: [] };
  points.forEach((p, i) => {
    const prev = points[i - 1];
    const seconds = prev ? (p.at - prev.at) / 1000 : 0;
    s.at.push(p.at);
    s.pending.push(p.pending);
    s.inPerSecond.push(prev ? perSecond(prev.accepted, p.accepted, seconds) : null);
    s.outPerSecond.push(prev ? perSecond(prev.processed, p.processed, seconds) : null);
    s.netPerSecond.push(prev ? perSecond(prev.pending, p.pending, seconds, true) : null);
  });
  return s;
}

/** Per side and lane, the samples of the last `windowS` seconds, kept in memory only. */
export class History {
  private readonly rings = new Map<string, Ring<LanePoint>>();
  readonly capacity: number;

  constructor(readonly sampleMs: number, windowS = 3600) {
    this.capacity = Math.ceil((windowS * 1000) / sampleMs) + 1;
  }

  private ring(side: string, lane: Lane): Ring<LanePoint> {
    const key = `${side}/${lane}`;
    let ring = this.rings.get(key);
    if (!ring) this.rings.set(key, (ring = new Ring(this.capacity)));
    return ring;
  }

  add(side: string, lane: Lane, point: LanePoint): void {
    this.ring(side, lane).push(point);
  }

  points(side: string, lane: Lane): LanePoint[] {
    return this.ring(side, lane).toArray();
  }

  series(side: string): Record<Lane, LaneSeries> {
    return Object.fromEntries(LANES.map((lane) => [lane, seriesOf(this.points(side, lane))])) as Record<Lane, LaneSeries>;
  }
}
