// When the absorber's load shedder (apps/absorber/src/ingest/lane-shedder.ts) reads a broker's
// lane depths, and what that costs in reads. Here in libs/ because the cost model
// (deploy/cost/sqs-calls.ts) prices those reads from the same plan the absorber runs: deploy/
// never imports apps/.

/** When the shedder reads the broker. */
export interface SamplingPlan {
  /** How often the shedder wakes to decide which lanes to read; a wake with nothing due costs nothing. */
  tickMs: number;
  /** The broker's counts are exact and cheap (BullMQ: Redis counts): every lane is read on every tick. */
  exactDepth: boolean;
  /** Approximate counts (SQS, refreshed about once a minute): a lane is read at least this often, even idle. */
  idleMs: number;
  /** ...and at most this often, only while it is near its mark (see `due`). */
  busyMs: number;
  /** "Near": the last reading plus this absorber's own sends since it reach this share of the mark. */
  nearShare: number;
}

/** The absorber's plan; `exactDepth` comes from the driver's capabilities. */
export const SHEDDER_SAMPLING: Omit<SamplingPlan, 'exactDepth'> = { tickMs: 250, idleMs: 60_000, busyMs: 5_000, nearShare: 0.5 };

/**
 * Broker reads a minute per replica, from a plan: exact-depth brokers `lanes` reads per tick;
 * approximate ones `lanes` per idleMs at rest and at most `lanes` per busyMs when busy.
 */
export function shedderReadsPerMinute(plan: Omit<SamplingPlan, 'exactDepth'>, lanes: number, exactDepth: boolean): { idle: number; busyMax: number } {
  if (exactDepth) return { idle: (lanes * 60_000) / plan.tickMs, busyMax: (lanes * 60_000) / plan.tickMs };
  return { idle: (lanes * 60_000) / plan.idleMs, busyMax: (lanes * 60_000) / plan.busyMs };
}
