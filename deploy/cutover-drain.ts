// The drain condition of `npm run cutover`, pure so it can be unit-tested: when the old side may be
// called empty and its workers scaled down, and when what is left in its queues is moved instead.

/** One look at the old side: its absorber's traffic counter and what its queues hold. */
export interface DrainSample {
  /** Seconds since the drain began (any monotonic clock). */
  atS: number;
  /**
   * The old absorber's requests so far (accepted events + refused requests, from its /metrics), or
   * undefined when it cannot be reached: an absorber that does not answer takes no traffic.
   */
  traffic: number | undefined;
  /** Deliveries waiting or in flight over every lane of the old side's queues. */
  pending: number;
}

export interface DrainRules {
  /**
   * How long the old absorber must take no traffic AND its queues read empty, both without a
   * break: at least the DNS TTL (clients may resolve the old answer that long after the last
   * weight change) plus the SQS metrics lag (its depth counts are approximate and late).
   */
  windowS: number;
  /** After this long, what the old queues still hold is moved to the new side (queue:move). */
  moveAfterS: number;
  /** After this long without a full quiet window, give up: nothing is scaled down. */
  giveUpS: number;
}

export interface DrainState {
  lastTraffic?: number;
  /** Since when the absorber took no traffic and the queues read empty, without a break. */
  stillSinceS?: number;
}

export type DrainVerdict =
  | { action: 'wait'; reason: string }
  | { action: 'move'; reason: string }
  | { action: 'done'; reason: string }
  | { action: 'give-up'; reason: string };

/** The SQS depth metrics lag AWS documents (approximate counts, up to about a minute late). */
export const SQS_METRICS_LAG_S = 60;

export function defaultDrainWindowS(dnsTtlS: number): number {
  return dnsTtlS + SQS_METRICS_LAG_S;
}

/**
 * Folds one sample into the state. The window restarts whenever the absorber's counter moves or a
 * queue holds anything, so "done" means both were still for `windowS` at once. A late arrival
 * after the move deadline is moved, and the window starts over after it.
 */
export function drainStep(state: DrainState, s: DrainSample, rules: DrainRules): { state: DrainState; verdict: DrainVerdict } {
  const trafficMoved = s.traffic !== undefined && state.lastTraffic !== undefined && s.traffic !== state.lastTraffic;
  const still = !trafficMoved && s.pending === 0;
  const next: DrainState = {
    lastTraffic: s.traffic ?? state.lastTraffic,
    stillSinceS: still ? (state.stillSinceS ?? s.atS) : undefined,
  };
  const quietFor = next.stillSinceS === undefined ? 0 : s.atS - next.stillSinceS;
  const what = `${trafficMoved ? 'old absorber still taking traffic' : s.traffic === undefined ? 'old absorber unreachable (takes no traffic)' : 'old absorber quiet'}, ${s.pending} pending`;
  if (still && quietFor >= rules.windowS) return { state: next, verdict: { action: 'done', reason: `quiet and empty for ${quietFor} s (window ${rules.windowS} s)` } };
  if (s.atS >= rules.giveUpS) return { state: next, verdict: { action: 'give-up', reason: `no quiet window of ${rules.windowS} s within ${rules.giveUpS} s (${what})` } };
  if (s.pending > 0 && s.atS >= rules.moveAfterS) return { state: next, verdict: { action: 'move', reason: `${s.pending} still pending after ${rules.moveAfterS} s` } };
  return { state: next, verdict: { action: 'wait', reason: `${what}; quiet for ${quietFor} of ${rules.windowS} s` } };
}

/** Sums the counters that show an absorber taking traffic, from its Prometheus text. */
export function trafficFromMetrics(text: string): number {
  const pattern = /^spillway_(?:events_accepted_total|requests_rejected_total)(?:\{[^}]*\})? (\S+)$/gm;
  return [...text.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0);
}

/** The rules `npm run cutover` drains with: --drain-window, or the definition's DNS TTL plus the SQS lag. */
export function drainRules(o: { drainWindowS?: number; drainTimeoutS: number; drainGiveUpS: number }, dnsTtlS: number): DrainRules {
  return { windowS: o.drainWindowS ?? defaultDrainWindowS(dnsTtlS), moveAfterS: o.drainTimeoutS, giveUpS: o.drainGiveUpS };
}

export interface DrainClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realDrainClock: DrainClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface DrainSides {
  /** The old side's name, for the log. */
  old: string;
  /** Deliveries waiting, delayed or in flight over every lane of the old side. */
  pending(): Promise<number>;
  /** The old absorber's traffic counter (undefined: it does not answer). */
  traffic(): Promise<number | undefined>;
  /** Moves what the old queues hold to the new side (queue:move). */
  move(): Promise<void>;
  log(line: string): void;
}

/** Samples the old side once a second until the condition says done (resolves) or give-up (throws). */
export async function runDrain(rules: DrainRules, sides: DrainSides, clock: DrainClock = realDrainClock): Promise<void> {
  const started = clock.now();
  let state: DrainState = {};
  for (;;) {
    const atS = Math.floor((clock.now() - started) / 1000);
    const pending = await sides.pending();
    const sample = { atS, traffic: await sides.traffic(), pending };
    const step = drainStep(state, sample, rules);
    state = step.state;
    sides.log(`drain ${sides.old}: ${step.verdict.action}: ${step.verdict.reason}`);
    if (step.verdict.action === 'done') return;
    if (step.verdict.action === 'give-up') throw new Error(`${sides.old} not drained: ${step.verdict.reason}; nothing scaled down, re-run to continue`);
    if (step.verdict.action === 'move') await sides.move();
    await clock.sleep(1000);
  }
}
