// @ts-check
// Rendered from deploy/spillway.ts (`load`) by `npm run synth`: do not edit; change the definition.
// The seed's staging test: 10000 events/s at a constant arrival rate for 600 s,
// lane mix critical 10%, normal 70%, low 20%. Run (docs/load-and-cost.md):
//   k6 run -e BASE_URL=https://<staging host> -e API_KEY=<ingest key> deploy/k6/rendered/spillway-load.js
// Optional: -e K6_RPS=<n> -e K6_DURATION=<seconds>s -e K6_MAX_VUS=<n>.
import http from 'k6/http';
import { check, fail } from 'k6';

const RPS = Number(__ENV.K6_RPS || 10000);
const DURATION = __ENV.K6_DURATION || '600s';
const MAX_VUS = Number(__ENV.K6_MAX_VUS || 5000);
const BASE_URL = (__ENV.BASE_URL || '').replace(/\/+$/, '');
const API_KEY = __ENV.API_KEY || '';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    ingest: {
      executor: 'constant-arrival-rate',
      rate: RPS,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.min(1000, MAX_VUS),
      maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<200', 'p(99)<500'],
    dropped_iterations: ['count<=0'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

// Only 202 counts as success: a 503 (nothing held) or 429 is a failed request here.
http.setResponseCallback(http.expectedStatuses(202));

/** Lanes by cumulative share; event types the definition's routes send to each lane. */
const LANES = [{"lane":"critical","type":"payment.captured","priority":false,"upTo":0.1},{"lane":"normal","type":"load.test","priority":false,"upTo":0.8},{"lane":"low","type":"analytics.load-test","priority":false,"upTo":1}];

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
  const res = http.post(`${BASE_URL}/v1/events`, JSON.stringify(body), {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    tags: { lane: pick.lane, name: 'POST /v1/events' },
  });
  check(res, {
    'answered 202': (r) => r.status === 202,
    'on the planned lane': (r) => r.status !== 202 || r.json('lane') === pick.lane,
  });
}
