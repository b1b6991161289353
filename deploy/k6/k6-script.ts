// Renders the definition's staging load test (`load` in deploy/spillway.ts) as a k6 script: a
// constant-arrival-rate scenario (k6's open model: arrivals do not wait for answers; arrivals with no
// free VU are dropped and counted as dropped_iterations), the lane mix sent as event types the
// definition's own routes send to each lane, Bearer auth, and the plan's thresholds.
import { LaneRouter, LANES, Lane } from '@spillway/config/lanes';
import { SpillwayDefinition } from '../model/definition';
import { LoadPlan } from '../model/load-plan';

export const K6_SCRIPT_PATH = 'deploy/k6/rendered/spillway-load.js';

/** An event type the routes send to `lane`, or undefined when none does (then `priority` is sent). */
export function eventTypeFor(routes: Record<string, Lane>, lane: Lane): string | undefined {
  const router = new LaneRouter(Object.entries(routes).map(([pattern, l]) => ({ pattern, lane: l })));
  const candidates = [
    ...Object.keys(routes)
      .sort()
      .map((p) => (p.endsWith('.*') ? `${p.slice(0, -2)}.load-test` : p)),
    'load.test',
  ];
  return candidates.find((type) => router.laneFor(type) === lane);
}

export interface LaneChoice {
  lane: Lane;
  type: string;
  /** Send `priority` too: no route leads to this lane. */
  priority: boolean;
  /** Cumulative share: a uniform draw below it (and above the previous one) picks this lane. */
  upTo: number;
}

export function laneChoices(def: SpillwayDefinition, plan: LoadPlan): LaneChoice[] {
  let cumulative = 0;
  return LANES.filter((lane) => plan.laneMix[lane] > 0).map((lane) => {
    cumulative += plan.laneMix[lane] / 100;
    const type = eventTypeFor(def.routes, lane);
    return { lane, type: type ?? 'load.test', priority: type === undefined, upTo: Math.round(cumulative * 1e6) / 1e6 };
  });
}

export function renderK6Script(def: SpillwayDefinition): string {
  const plan = def.load;
  if (!plan) throw new Error('renderK6Script: the definition has no `load` plan');
  const t = plan.thresholds;
  const choices = laneChoices(def, plan);
  const mix = LANES.map((l) => `${l} ${plan.laneMix[l]}%`).join(', ');
  return `// @ts-check
// Rendered from deploy/spillway.ts (\`load\`) by \`npm run synth\`: do not edit; change the definition.
// The seed's staging test: ${plan.rps} events/s at a constant arrival rate for ${plan.durationSeconds} s,
// lane mix ${mix}. Run (docs/load-and-cost.md):
//   k6 run -e BASE_URL=https://<staging host> -e API_KEY=<ingest key> ${K6_SCRIPT_PATH}
// Optional: -e K6_RPS=<n> -e K6_DURATION=<seconds>s -e K6_MAX_VUS=<n>.
import http from 'k6/http';
import { check, fail } from 'k6';

const RPS = Number(__ENV.K6_RPS || ${plan.rps});
const DURATION = __ENV.K6_DURATION || '${plan.durationSeconds}s';
const MAX_VUS = Number(__ENV.K6_MAX_VUS || ${plan.vus.max});
const BASE_URL = (__ENV.BASE_URL || '').replace(/\\/+$/, '');
const API_KEY = __ENV.API_KEY || '';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    ingest: {
      executor: 'constant-arrival-rate',
      rate: RPS,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.min(${plan.vus.preAllocated}, MAX_VUS),
      maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    http_req_failed: ['rate<${t.failedRatio}'],
    http_req_duration: ['p(95)<${t.p95Ms}', 'p(99)<${t.p99Ms}'],
    dropped_iterations: ['count<=${t.droppedIterations}'],
    checks: ['rate>${1 - t.failedRatio}'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

// Only 202 counts as success: a 503 (nothing held) or 429 is a failed request here.
http.setResponseCallback(http.expectedStatuses(202));

/** Lanes by cumulative share; event types the definition's routes send to each lane. */
const LANES = ${JSON.stringify(choices.map(({ lane, type, priority, upTo }) => ({ lane, type, priority, upTo })))};

export function setup() {
  if (!BASE_URL) fail('BASE_URL is required: -e BASE_URL=https://<staging host>');
  if (!API_KEY) fail('API_KEY is required: -e API_KEY=<a key from INGEST_API_KEYS>');
}

export default function () {
  const draw = Math.random();
  const pick = LANES.find((l) => draw < l.upTo) || LANES[LANES.length - 1];
  /** @type {{ type: string, data: Record<string, unknown>, priority?: string }} */
  const body = { type: pick.type, data: { load: true, vu: __VU, iteration: __ITER, sentAt: Date.now() } };
  if (pick.priority) body.priority = pick.lane;
  const res = http.post(\`\${BASE_URL}/v1/events\`, JSON.stringify(body), {
    headers: { 'content-type': 'application/json', authorization: \`Bearer \${API_KEY}\` },
    tags: { lane: pick.lane, name: 'POST /v1/events' },
  });
  check(res, {
    'answered 202': (r) => r.status === 202,
    'on the planned lane': (r) => r.status !== 202 || r.json('lane') === pick.lane,
  });
}
`;
}
