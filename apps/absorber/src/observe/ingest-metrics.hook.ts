import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import type { Metrics } from '../../../../libs/health/src';

const SINGLE = '/v1/events';
const BATCH = '/v1/events/batch';
const STARTED = Symbol('ingestStartedAt');
const LANE = Symbol('ingestLane');

type Timed = FastifyRequest & { [STARTED]?: number; [LANE]?: string };

/** The lane of a 202 on the single-event route, read from the answer the route built by hand. */
function laneOfAnswer(payload: unknown): string | undefined {
  if (typeof payload !== 'string') return undefined;
  const at = payload.lastIndexOf('"lane":"');
  return at < 0 ? undefined : payload.slice(at + 8, payload.indexOf('"', at + 8));
}

/**
 * `spillway_ingest_request_seconds{lane,status}` for both ingest routes, from Fastify hooks so the
 * routes themselves stay untouched. The lane is the one answered on a single-event 202, "batch"
 * for the batch route, and "none" when the request never got a lane (401, 400, 503 ...).
 */
export function observeIngest(fastify: FastifyInstance, metrics: Metrics): void {
  const children = new Map<string, Histogram.Internal<'lane' | 'status'>>();
  const child = (lane: string, status: number) => {
    const id = `${lane} ${status}`;
    let found = children.get(id);
    if (!found) children.set(id, (found = metrics.ingestSeconds.labels({ lane, status: String(status) })));
    return found;
  };
  const isIngest = (request: FastifyRequest) => request.method === 'POST' && (request.url === SINGLE || request.url.startsWith(BATCH));

  fastify.addHook('onRequest', (request: Timed, _reply, done) => {
    if (isIngest(request)) request[STARTED] = performance.now();
    done();
  });
  fastify.addHook('onSend', (request: Timed, reply: FastifyReply, payload, done) => {
    if (request[STARTED] !== undefined && reply.statusCode === 202) {
      request[LANE] = request.url === SINGLE ? laneOfAnswer(payload) : 'batch';
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request: Timed, reply, done) => {
    const started = request[STARTED];
    if (started !== undefined) child(request[LANE] ?? 'none', reply.statusCode).observe((performance.now() - started) / 1000);
    done();
  });
}
