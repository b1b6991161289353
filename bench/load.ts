import autocannon, { Request, Result } from 'autocannon';

export const API_KEY = 'bench-ingest-key-9c1e3a5b7d0f2a4c6e8b';
export const LANE_ROUTES = 'payment.*=critical,analytics.*=low';

/** A ~300-byte event, like a shop's order webhook; only `type` varies between requests. */
export function eventBody(type: string): string {
  return JSON.stringify({
    type,
    data: {
      order: {
        id: 'ord_0001234567',
        customer: 'cus_9876543210',
        currency: 'EUR',
        total: 12999,
        items: [
          { sku: 'SKU-123-RED-M', qty: 2, price: 4999 },
          { sku: 'SKU-456-BLU-L', qty: 1, price: 3001 },
        ],
      },
      source: 'shop-eu-west-1',
      placedAt: '2026-11-27T06:00:00.000Z',
    },
  });
}

/**
 * The same ten requests, cycled by every connection, for every server: 6 go to the normal lane,
 * 2 to critical and 2 to low (by LANE_ROUTES), and 1 in 10 carries an Idempotency-Key. Keys are
 * unique, so every 2xx is one new event and the loss check can demand equality.
 */
export function requestMix(runId: string, types: (i: number) => string = defaultType, batch = 1): Request[] {
  let next = 0;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  return Array.from({ length: 10 }, (_, i) => {
    const request: Request =
      batch === 1
        ? { method: 'POST', path: '/v1/events', headers, body: eventBody(types(i)) }
        : { method: 'POST', path: '/v1/events/batch', headers, body: batchBody(batch, (j) => types((i + j) % 10)) };
    if (i === 9) {
      request.setupRequest = (req) => ({ ...req, headers: { ...headers, 'idempotency-key': `${runId}-${++next}` } });
    }
    return request;
  });
}

/** `{"events": [...]}` with `size` events, their types cycling like the single requests'. */
export function batchBody(size: number, types: (j: number) => string): string {
  return `{"events":[${Array.from({ length: size }, (_, j) => eventBody(types(j))).join(',')}]}`;
}

export function defaultType(i: number): string {
  if (i === 3 || i === 7) return 'payment.captured';
  if (i === 5 || i === 8) return 'analytics.page_viewed';
  return 'order.created';
}

export interface LoadOptions {
  url: string;
  connections: number;
  requests: Request[];
  /** Run for this long (seconds)... */
  duration?: number;
  /** ...or send exactly this many requests; then every response is counted, none cut off. */
  amount?: number;
  /** Hard bound on the wall time of an `amount` run. */
  maxSeconds?: number;
}

export interface LoadFigures {
  seconds: number;
  requests: number;
  ok2xx: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** True when the run hit `maxSeconds` and was stopped before `amount` answers. */
  cutShort: boolean;
  /** Answers per second after the first second (the JIT ramp), for sizing the next window. */
  warmRps: number;
}

/** Mean of the per-second counts, the first second and the empty tick at stop left out. */
function warmRate(perSecond: number[]): number | undefined {
  const full = perSecond.slice(1).filter((n) => n > 0);
  return full.length ? full.reduce((a, b) => a + b, 0) / full.length : undefined;
}

export function runLoad(options: LoadOptions): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    let cutShort = false;
    // autocannon notices the end only at its next 1 s tick, so its own duration can overstate the
    // window by up to a second; the window here ends at the last answer instead.
    const started = performance.now();
    let lastAnswer = started;
    const perSecond: number[] = [];
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        timeout: 10,
        requests: options.requests,
        ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
      },
      (err, result: Result) => {
        clearTimeout(guard);
        if (err) return reject(err);
        const errors = result.errors + result.timeouts + result.non2xx;
        const seconds = (lastAnswer - started) / 1000;
        resolve({
          seconds,
          requests: result['2xx'] + result.non2xx,
          ok2xx: result['2xx'],
          rps: seconds > 0 ? result['2xx'] / seconds : 0,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors,
          cutShort,
          warmRps: warmRate(perSecond) ?? result['2xx'] / Math.max(seconds, 1e-3),
        });
      },
    );
    instance.on('response', () => (lastAnswer = performance.now()));
    instance.on('tick', (tick) => perSecond.push((tick as { counter: number }).counter));
    const guard = setTimeout(() => {
      cutShort = true;
      instance.stop();
    }, (options.maxSeconds ?? 600) * 1000);
  });
}
