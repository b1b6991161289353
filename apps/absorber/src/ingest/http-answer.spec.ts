import { BadRequestException, HttpException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import Fastify from 'fastify';
import { BrokerUnavailableError, EnqueueError } from '@spillway/queue';
import { Metrics } from '@spillway/health';
import {
  BadRequestError,
  HookPayloadError,
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
  UnknownSourceError,
} from './errors';
import { bodyErrorOf } from './errors.filter';
import { answerOf, batchAnswerOf, batchEntryOf, HttpAnswer, invalidEntryOf, sendAnswer } from './http-answer';
import type { EventResult } from './ingest.service';

const problem = (status: number, error: string, message: string, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers,
  body: { statusCode: status, error, message },
});

/**
 * The contract of every ingest refusal (docs/contract.md), one row per error: a changed status,
 * header or body field fails its row. The messages are the errors' own; each names what was wrong.
 */
const TABLE: Array<[string, Error, HttpAnswer]> = [
  ['a field', new BadRequestError('data: required, must be a JSON object'), problem(400, 'Bad Request', 'data: required, must be a JSON object')],
  ['a webhook body', new HookPayloadError('body is not valid JSON'), problem(400, 'Bad Request', 'body is not valid JSON')],
  ['no API key', new NotAuthenticatedError('API key not accepted'), problem(401, 'Unauthorized', 'API key not accepted')],
  ['a source namespace', new ReservedTypeError('type: "gh.push" is in the namespace'), problem(403, 'Forbidden', 'type: "gh.push" is in the namespace')],
  ['an unknown source', new UnknownSourceError('nope'), problem(404, 'Not Found', 'no webhook source "nope" (declare it in WEBHOOK_SOURCES)')],
  ['GET without handshake', new PostOnlyError('gh', 'github'), problem(405, 'Method Not Allowed', 'source "gh" (github) takes POST only', { allow: 'POST' })],
  [
    'a key in flight',
    new KeyInFlightError(),
    problem(409, 'Conflict', 'a request with this Idempotency-Key is still awaiting the broker; retry with the same key', { 'Retry-After': '1' }),
  ],
  ['over the burst', new TooLargeError('request holds 9 events, more than 4'), problem(413, 'Payload Too Large', 'request holds 9 events, more than 4')],
  ['not JSON', new NotJsonError('Content-Type must be application/json (got none)'), problem(415, 'Unsupported Media Type', 'Content-Type must be application/json (got none)')],
  ['over the rate', new RateLimitedError('tenant over its rate of 5 events/s; retry in 3 s', 3), problem(429, 'Too Many Requests', 'tenant over its rate of 5 events/s; retry in 3 s', { 'Retry-After': '3' })],
  ['a lane shedding', new LaneSheddingError('lane low is over its high-water mark'), problem(503, 'Service Unavailable', 'lane low is over its high-water mark', { 'Retry-After': '5' })],
  [
    'the in-flight bound',
    new InFlightBoundError(7, 8),
    problem(
      503,
      'Service Unavailable',
      'queue unavailable, nothing was accepted; retry later (the broker is slow: 7 events already await its answer (limit ENQUEUE_MAX_IN_FLIGHT=8))',
      { 'Retry-After': '1' },
    ),
  ],
  [
    'the broker refused',
    new BrokerUnavailableError('connection refused'),
    problem(503, 'Service Unavailable', 'queue unavailable, nothing was accepted; retry later (connection refused)', { 'Retry-After': '1' }),
  ],
  [
    'the broker refused part',
    new EnqueueError('enqueue to low failed: OOM', new Set(), new Set()),
    problem(503, 'Service Unavailable', 'queue unavailable, nothing was accepted; retry later (enqueue to low failed: OOM)', { 'Retry-After': '1' }),
  ],
  [
    'an unknown outcome',
    new OutcomeUnknownError('0190-ab', 'normal', 'k1', 'no answer in 2000 ms'),
    {
      status: 504,
      headers: { 'Retry-After': '1' },
      body: {
        statusCode: 504,
        error: 'Outcome Unknown',
        outcome: 'unknown',
        id: '0190-ab',
        lane: 'normal',
        message: 'outcome unknown: no answer in 2000 ms; event 0190-ab may or may not be held; retry with the same Idempotency-Key: a retry cannot double the event',
      },
    },
  ],
];

describe('ingest errors -> HTTP (the one mapping of POST /v1/events, /v1/events/batch and /v1/hooks/<source>)', () => {
  it.each(TABLE)('%s', (_, err, expected) => {
    expect(answerOf(err)).toEqual(expected);
  });

  it('leaves anything that is not a refusal to Nest (a 500)', () => {
    for (const err of [new Error('bug'), new TypeError('x is undefined'), 'thrown text', undefined]) expect(answerOf(err)).toBeUndefined();
  });

  it.each<[string, HttpException, HttpAnswer | undefined]>([
    ['over the body limit', new PayloadTooLargeException('Request body is too large'), problem(413, 'Payload Too Large', 'body is over the limit of 1024 bytes')],
    ['a media type the parser refuses', new UnsupportedMediaTypeException('Unsupported Media Type: text/plain'), problem(415, 'Unsupported Media Type', 'Content-Type must be application/json')],
    ['an empty body', new BadRequestException("Body cannot be empty when content-type is set to 'application/json'"), problem(400, 'Bad Request', 'body is empty: send a JSON object')],
    ['bad JSON', new BadRequestException('Unexpected token } in JSON at position 9'), problem(400, 'Bad Request', 'body is not valid JSON (Unexpected token } in JSON at position 9)')],
    ['a Nest 404 (not a body error)', new HttpException('Cannot POST /nope', 404), undefined],
  ])("the parser's %s", (_, err, expected) => {
    // Nest wraps a Fastify parser error as an HttpException whose response is Fastify's bare string.
    const wrapped = new HttpException(err.message, err.getStatus());
    expect(answerOf(bodyErrorOf(wrapped, 1024))).toEqual(expected);
  });

  const held: EventResult = { id: 'a', lane: 'normal', outcome: 'held' };
  const refused: EventResult = { id: 'b', lane: 'low', outcome: 'refused', reason: 'queue gone' };
  const unknown: EventResult = { id: 'c', lane: 'low', outcome: 'unknown', reason: 'no answer' };

  it("a batch's entries: held, refused (503), unknown (504), invalid (no status) and in a source's namespace (403)", () => {
    expect(batchEntryOf(held, 'k')).toEqual({ id: 'a', lane: 'normal' });
    expect(batchEntryOf(refused, 'k')).toEqual({ error: 'not accepted, nothing was held: queue gone; retry this event', status: 503 });
    expect(batchEntryOf(unknown, undefined)).toEqual({
      id: 'c',
      lane: 'low',
      outcome: 'unknown',
      status: 504,
      error: 'outcome unknown: no answer; a retry without an Idempotency-Key may double the event; send one with every request so that retries are safe',
    });
    expect(invalidEntryOf(new BadRequestError('events[0].type: required'))).toEqual({ error: 'events[0].type: required' });
    expect(invalidEntryOf(new ReservedTypeError('events[1].type: in gh.*'))).toEqual({ error: 'events[1].type: in gh.*', status: 403 });
  });

  it("a batch's status: 202 if any held or none valid, else 504 if any unknown, else 503; Retry-After when not 202", () => {
    const results = [{ error: 'x' }];
    expect(batchAnswerOf([refused, held], results)).toEqual({ status: 202, headers: {}, body: { results } });
    expect(batchAnswerOf([], results)).toEqual({ status: 202, headers: {}, body: { results } });
    expect(batchAnswerOf([refused, unknown], results)).toEqual({ status: 504, headers: { 'Retry-After': '1' }, body: { results } });
    expect(batchAnswerOf([refused], results)).toEqual({ status: 503, headers: { 'Retry-After': '1' }, body: { results } });
  });

  it('sends status, headers and body as mapped, and counts the answers with Retry-After as rejected', async () => {
    // No driver: only the broker gauges read one, and they are collected only on a scrape.
    const metrics = new Metrics(undefined as never);
    const app = Fastify();
    app.get('/:n', (request, reply) => {
      const [, err] = TABLE[Number((request.params as { n: string }).n)];
      return sendAnswer(reply, answerOf(err)!, metrics);
    });
    try {
      for (const [n, [, , expected]] of TABLE.entries()) {
        const res = await app.inject({ method: 'GET', url: `/${n}` });
        expect({ status: res.statusCode, body: res.json() }).toEqual({ status: expected.status, body: expected.body });
        for (const [name, value] of Object.entries(expected.headers)) expect(res.headers[name.toLowerCase()]).toBe(value);
        expect(res.headers['retry-after']).toBe(expected.headers['Retry-After']);
      }
    } finally {
      await app.close();
    }
    const counted = Object.fromEntries((await metrics.rejected.get()).values.map((v) => [v.labels.status, v.value]));
    expect(counted).toEqual({ '409': 1, '429': 1, '503': 4, '504': 1 });
  });
});
