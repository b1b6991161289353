// The staging load test the definition asks for (the k6 script, `npm run load`'s defaults, and the
// rps the cost report plans for). Kept beside the definition's shape, read by deploy/k6 and deploy/cost.
import { isLane, Lane, LANES } from '@spillway/config/lanes';

export interface LoadPlan {
  /** Arrival rate of the k6 scenario (requests per second), overridable at run time (K6_RPS). */
  rps: number;
  /** Length of the constant-arrival-rate stage, in seconds (K6_DURATION overrides). */
  durationSeconds: number;
  /** Percent of the events per lane; sums to 100. Each lane gets an event type the routes send there. */
  laneMix: Record<Lane, number>;
  /** Pass/fail of a run (k6 thresholds; `npm run load` applies the same ones). */
  thresholds: {
    /** Share of requests that may fail (not 2xx), 0.01 = 1%. */
    failedRatio: number;
    p95Ms: number;
    p99Ms: number;
    /** Arrivals k6 could not start because every VU was busy (the open model's "dropped"). */
    droppedIterations: number;
  };
  /** k6 VUs preallocated and the most it may grow to; past it, arrivals are dropped and counted. */
  vus: { preAllocated: number; max: number };
}

export function loadPlanProblems(plan: LoadPlan | undefined): string[] {
  if (!plan) return [];
  const p: string[] = [];
  if (!(Number.isInteger(plan.rps) && plan.rps > 0)) p.push('load.rps: must be a whole number of requests per second > 0');
  if (!(Number.isInteger(plan.durationSeconds) && plan.durationSeconds > 0)) p.push('load.durationSeconds: must be a whole number > 0');
  const lanes = Object.keys(plan.laneMix);
  for (const lane of lanes) if (!isLane(lane)) p.push(`load.laneMix.${lane}: unknown lane; lanes are ${LANES.join(', ')}`);
  for (const lane of LANES) {
    const share = plan.laneMix[lane];
    if (!(Number.isFinite(share) && share >= 0)) p.push(`load.laneMix.${lane}: a percent >= 0 is required`);
  }
  const sum = LANES.reduce((s, l) => s + (plan.laneMix[l] ?? 0), 0);
  if (Math.abs(sum - 100) > 1e-9) p.push(`load.laneMix: percents add up to ${sum}, not 100`);
  const t = plan.thresholds;
  if (!(t.failedRatio >= 0 && t.failedRatio < 1)) p.push('load.thresholds.failedRatio: between 0 and 1 (0.01 = 1%)');
  if (!(t.p95Ms > 0 && t.p99Ms >= t.p95Ms)) p.push('load.thresholds: p95Ms > 0 and p99Ms >= p95Ms');
  if (!(Number.isInteger(t.droppedIterations) && t.droppedIterations >= 0)) p.push('load.thresholds.droppedIterations: a whole number >= 0');
  if (!(Number.isInteger(plan.vus.preAllocated) && plan.vus.preAllocated >= 1 && plan.vus.max >= plan.vus.preAllocated)) {
    p.push('load.vus: preAllocated >= 1 and max >= preAllocated');
  }
  return p;
}
