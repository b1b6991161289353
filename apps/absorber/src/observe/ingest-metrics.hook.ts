import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import type { Lane } from '@spillway/config';
import type { Metrics } from '@spillway/health';

const SINGLE = '/v1/events';
const BATCH = '/v1/events/batch';
/** Set by the single-event route on a 202; declared up front so every request keeps one shape. */
const LANE = 'spillwayIngestLane';

type Labelled = FastifyRequest & { [LANE]: Lane | null };

/** The single-event route says which lane it answered 202 for (nothing is parsed back out of the body). */
export function labelIngestLane(request: FastifyRequest, lane: Lane): void {
  (request as Labelled)[LANE] = lane;
}

/**
 * `spillway_ingest_request_seconds{lane,status}` for both ingest routes. The lane is the one the
 * single-event route answered 202 for, "batch" for a 202 of the batch route, and "none" when the
 * request never got a lane (401, 400, 503 ...). The time is Fastify's own `reply.elapsedTime`,
 * from routing to the last byte handed to the socket, so one response hook is all it costs.
 */
export function observeIngest(fastify: FastifyInstance, metrics: Metrics): void {
  const children = new Map<string, Histogram.Internal<'lane' | 'status'>>();
  const child = (lane: string, status: number) => {
    const id = `${lane} ${status}`;
    let found = children.get(id);
    if (!found) children.set(id, (found = metrics.ingestSeconds.labels({ lane, status: String(status) })));
    return found;
  };
  fastify.decorateRequest(LANE, null);
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (request.method === 'POST') {
      const url = request.url;
      const single = url === SINGLE;
      if (single || url.startsWith(BATCH)) {
        const status = reply.statusCode;
        const lane = status !== 202 ? 'none' : single ? ((request as Labelled)[LANE] ?? 'none') : 'batch';
        child(lane, status).observe(reply.elapsedTime / 1000);
      }
    }
    done();
  });
}
