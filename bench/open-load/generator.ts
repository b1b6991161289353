// The open-model generator: loadtest's requestsPerSecond mode (a timer sends each arrival on
// schedule and opens another client when every one is busy, so a slow answer never delays the next
// request; autocannon's overallRate is closed: each connection waits for its answer first, and
// what a slow server holds back is neither sent nor timed). loadtest schedules and sends; this file
// builds each request (lane mix, auth), times it from its scheduled arrival, and keeps the ids the
// 202 answers carry.
import { Agent as HttpAgent, ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { loadTest } from 'loadtest';
import { LoadStats } from './stats';

export interface LaneType {
  lane: string;
  type: string;
  priority: boolean;
  upTo: number;
}

export interface LoadOptions {
  url: string;
  rps: number;
  durationSeconds: number;
  apiKey?: string;
  lanes: LaneType[];
  /** Arrivals finding this many requests outstanding are dropped and counted (k6's maxVUs). */
  maxInFlight: number;
  /** A request with no answer after this is an error. */
  timeoutMs: number;
}

type Progress = (stats: LoadStats, elapsedSeconds: number) => void;

type RequestFn = typeof httpRequest;
type LoadTestFn = (options: Record<string, unknown>) => Promise<unknown>;

function eventBody(lanes: LaneType[], n: number): { lane: string; body: string } {
  const draw = Math.random();
  const pick = lanes.find((l) => draw < l.upTo) ?? lanes[lanes.length - 1];
  const body: Record<string, unknown> = { type: pick.type, data: { load: true, n, sentAt: Date.now() } };
  if (pick.priority) body.priority = pick.lane;
  return { lane: pick.lane, body: JSON.stringify(body) };
}

export async function runOpenLoad(opts: LoadOptions, progress?: Progress): Promise<LoadStats> {
  const stats = new LoadStats();
  const target = new URL('/v1/events', opts.url);
  const agent = target.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const intervalMs = 1000 / opts.rps;
  const scheduledTotal = Math.round(opts.rps * opts.durationSeconds);
  let firstAt = 0;
  const pending = new Set<Promise<void>>();

  const generate = (_options: unknown, params: Record<string, unknown>, request: RequestFn, connect: (res: IncomingMessage) => void): ClientRequest => {
    const now = performance.now();
    if (!firstAt) firstAt = now;
    const slot = stats.sent + stats.dropped;
    // loadtest's timer may fire a little ahead of this reconstruction of its schedule: never time a
    // request from before it was sent.
    const scheduledAt = Math.min(firstAt + slot * intervalMs, now);
    stats.maxSendLagMs = Math.max(stats.maxSendLagMs, now - scheduledAt);
    const { body } = eventBody(opts.lanes, slot);
    params.agent = agent;
    params.headers = {
      ...(params.headers as Record<string, string>),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
    };
    let settled = false;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    /** Each sent request ends exactly once: answered, or an error (refused, reset, timed out). */
    const settle = (record: () => void) => {
      if (settled) return;
      settled = true;
      stats.inFlight--;
      record();
      done();
    };
    const req = request(params as never, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => settle(() => stats.error(err.message, performance.now() - scheduledAt)));
      res.on('end', () =>
        settle(() => {
          let ack: { id: string; lane: string } | undefined;
          if (res.statusCode === 202) {
            try {
              ack = JSON.parse(Buffer.concat(chunks).toString());
            } catch {
              ack = undefined;
            }
          }
          stats.answer(res.statusCode ?? 0, performance.now() - scheduledAt, ack?.id ? ack : undefined);
        }),
      );
      connect(res);
    });
    // loadtest's timer can fire once more at the end of maxSeconds (seen on Node 24): that is not an
    // arrival of this run's schedule, so it is neither sent nor counted.
    if (slot >= scheduledTotal) {
      settled = true;
      req.on('error', () => undefined);
      req.destroy();
      return req;
    }
    // An arrival finding the limit outstanding is dropped before a byte is sent.
    if (stats.inFlight >= opts.maxInFlight) {
      stats.dropped++;
      settled = true;
      req.on('error', () => undefined);
      req.destroy();
      return req;
    }
    stats.sent++;
    stats.inFlight++;
    pending.add(finished);
    finished.then(() => pending.delete(finished));
    req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => settle(() => stats.error(err.message, performance.now() - scheduledAt)));
    req.write(body);
    return req;
  };

  const started = Date.now();
  const timer = setInterval(() => progress?.(stats, (Date.now() - started) / 1000), 1000);
  try {
    // loadtest ships ESM with outdated callback types; its promise form is what v8 documents.
    await (loadTest as unknown as LoadTestFn)({
      url: target.toString(),
      method: 'POST',
      requestsPerSecond: opts.rps,
      maxSeconds: opts.durationSeconds,
      requestGenerator: generate,
      quiet: true,
    });
    // Stop sending, then give what is in flight its timeout to answer.
    await Promise.race([Promise.all([...pending]), new Promise((r) => setTimeout(r, opts.timeoutMs + 1000))]);
  } finally {
    clearInterval(timer);
    agent.destroy();
  }
  return stats;
}
