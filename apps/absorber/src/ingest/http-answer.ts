import type { FastifyReply } from 'fastify';
import { BrokerUnavailableError } from '@spillway/queue';
import type { Metrics } from '@spillway/health';
import {
  BadRequestError,
  InFlightBoundError,
  KeyInFlightError,
  LaneSheddingError,
  NotAuthenticatedError,
  NotJsonError,
  OutcomeUnknownError,
  PostOnlyError,
  RateLimitedError,
  ReservedTypeError,
  TooLargeError,
  unknownAdvice,
  UnknownSourceError,
} from './errors';
import type { EventResult } from './ingest.service';

/**
 * How every ingest refusal is answered, decided here once for `POST /v1/events`, its batch form
 * and `POST /v1/hooks/<source>` (the routes answer through `sendAnswer`, the batch controller and
 * everything Nest catches through IngestErrorsFilter). Statuses, Retry-After and body shapes are
 * the contract (docs/contract.md); http-answer.spec.ts holds them as a table.
 */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Long enough for workers to make headway on a lane that sheds. */
export const SHED_RETRY_AFTER_S = 5;
/** A key in flight, a broker refusal, the in-flight bound or an unknown outcome: worth retrying at once. */
export const RETRY_SOON_S = 1;

function problem(status: number, error: string, message: string, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers, body: { statusCode: status, error, message } };
}

const retryAfter = (seconds: number) => ({ 'Retry-After': String(seconds) });

/** The answer to a refusal, or undefined for an error that is not one (a bug: Nest answers 500). */
export function answerOf(err: unknown): HttpAnswer | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err instanceof BadRequestError) return problem(400, 'Bad Request', err.message);
  if (err instanceof NotAuthenticatedError) return problem(401, 'Unauthorized', err.message);
  if (err instanceof ReservedTypeError) return problem(403, 'Forbidden', err.message);
  if (err instanceof UnknownSourceError) return problem(404, 'Not Found', err.message);
  if (err instanceof PostOnlyError) return problem(405, 'Method Not Allowed', err.message, { allow: 'POST' });
  if (err instanceof KeyInFlightError) return problem(409, 'Conflict', err.message, retryAfter(RETRY_SOON_S));
  if (err instanceof TooLargeError) return problem(413, 'Payload Too Large', err.message);
  if (err instanceof NotJsonError) return problem(415, 'Unsupported Media Type', err.message);
  if (err instanceof RateLimitedError) return problem(429, 'Too Many Requests', err.message, retryAfter(err.retryAfterSeconds));
  if (err instanceof LaneSheddingError) return problem(503, 'Service Unavailable', err.message, retryAfter(SHED_RETRY_AFTER_S));
  if (err instanceof InFlightBoundError || err instanceof BrokerUnavailableError) {
    return problem(503, 'Service Unavailable', `queue unavailable, nothing was accepted; retry later (${err.message})`, retryAfter(RETRY_SOON_S));
  }
  if (err instanceof OutcomeUnknownError) {
    return {
      status: 504,
      headers: retryAfter(RETRY_SOON_S),
      body: { statusCode: 504, error: 'Outcome Unknown', outcome: 'unknown', id: err.id, lane: err.lane, message: err.message },
    };
  }
  return undefined;
}

/**
 * Sends an answer. Those with Retry-After (nothing held, or the outcome unknown: the sender should
 * come back) are counted in `spillway_requests_rejected_total{status}`.
 */
export function sendAnswer(reply: FastifyReply, answer: HttpAnswer, metrics: Metrics): FastifyReply {
  const headers = answer.headers;
  if (headers['Retry-After'] !== undefined) metrics.rejected.inc({ status: String(answer.status) });
  reply.code(answer.status);
  for (const name in headers) reply.header(name, headers[name]);
  return reply.send(answer.body);
}

/** One event's entry in a batch answer: its id and lane when held, else what happened to it. */
export type BatchEntry =
  | { id: string; lane: string }
  | { error: string; status?: 403 | 503 }
  | { id: string; lane: string; outcome: 'unknown'; status: 504; error: string };

/** A valid event's entry, from its outcome. */
export function batchEntryOf(result: EventResult, idempotencyKey: string | undefined): BatchEntry {
  if (result.outcome === 'held') return { id: result.id, lane: result.lane };
  if (result.outcome === 'refused') return { error: `not accepted, nothing was held: ${result.reason}; retry this event`, status: 503 };
  return { id: result.id, lane: result.lane, outcome: 'unknown', status: 504, error: `outcome unknown: ${result.reason}; ${unknownAdvice(idempotencyKey)}` };
}

/** An event refused before the broker: invalid (400, said without a status) or in a source's namespace (403). */
export function invalidEntryOf(err: BadRequestError | ReservedTypeError): BatchEntry {
  return err instanceof ReservedTypeError ? { error: err.message, status: 403 } : { error: err.message };
}

/**
 * The batch request's own answer: 202 when at least one event is held or every event was invalid,
 * else 504 when any outcome is unknown, else 503 (nothing held); Retry-After on both.
 */
export function batchAnswerOf(outcomes: readonly EventResult[], results: BatchEntry[]): HttpAnswer {
  const body = { results };
  if (outcomes.length === 0 || outcomes.some((o) => o.outcome === 'held')) return { status: 202, headers: {}, body };
  const status = outcomes.some((o) => o.outcome === 'unknown') ? 504 : 503;
  return { status, headers: retryAfter(RETRY_SOON_S), body };
}
