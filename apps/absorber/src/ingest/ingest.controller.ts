import { Body, Controller, Headers, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Metrics } from '@spillway/health';
import { ApiKeyGuard } from './api-key.guard';
import { BadRequestError, ReservedTypeError } from './errors';
import { ReservedTypes } from './event-origin';
import { checkEvent, EventInput } from './event-validator';
import { batchAnswerOf, batchEntryOf, BatchEntry, invalidEntryOf, sendAnswer } from './http-answer';
import { IngestService } from './ingest.service';
import { idempotencyKeyOf, requireJson } from './request-checks';
import { SignatureVerifier } from './signature';
import { traceparentOf } from '../observe/traceparent';

export const MAX_BATCH = 500;

/**
 * `POST /v1/events/batch`; the single-event route lives in ingest.route.ts (the hot path). A
 * refusal of the whole request is thrown and answered by IngestErrorsFilter (http-answer.ts).
 */
@Controller('v1/events')
@UseGuards(ApiKeyGuard)
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly signatures: SignatureVerifier,
    private readonly reserved: ReservedTypes,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Each event is judged alone and answered with its own fate: `{id, lane}` held, `{error}`
   * invalid, `{error, status: 403}` a type in a webhook source's namespace, `{error, status: 503}`
   * refused (nothing held), `{id, lane, outcome: "unknown", status: 504, error}` the broker did not
   * answer. The request's status: see batchAnswerOf.
   */
  @Post('batch')
  async batch(
    @Body() body: unknown,
    @Req() req: { tenant: string; rawBody?: Buffer },
    @Res() reply: FastifyReply,
    @Headers('content-type') contentType?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('x-signature-256') signature?: string,
    @Headers('traceparent') traceparent?: string,
  ): Promise<FastifyReply> {
    requireJson(contentType);
    this.signatures.check(req.rawBody, signature);
    const key = idempotencyKeyOf(idempotencyKey);
    const events = (body as { events?: unknown } | null)?.events;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('body must be a JSON object with an "events" array');
    for (const field in body) if (field !== 'events') throw new BadRequestError(`${field}: unknown field (allowed: events)`);
    if (!Array.isArray(events)) throw new BadRequestError('events: required, must be an array');
    if (events.length === 0) throw new BadRequestError('events: must hold at least one event');
    if (events.length > MAX_BATCH) throw new BadRequestError(`events: holds ${events.length} events; the limit is ${MAX_BATCH}`);
    const checked = events.map((e, i) => {
      const c = checkEvent(e, `events[${i}].`);
      if (!c.ok) return new BadRequestError(c.error);
      const reserved = this.reserved.problem(c.event.type, `events[${i}].type`);
      return reserved ? new ReservedTypeError(reserved) : c.event;
    });
    const valid: EventInput[] = [];
    for (const c of checked) if (!(c instanceof Error)) valid.push(c);
    // Ids derive from the key and the index among valid events, so a retried batch maps to the same ids.
    const outcomes = valid.length ? await this.ingest.accept({ events: valid, tenant: req.tenant, idempotencyKey: key, indexIds: true, traceparent: traceparentOf(traceparent) }) : [];
    let next = 0;
    const results = checked.map((c): BatchEntry => (c instanceof Error ? invalidEntryOf(c) : batchEntryOf(outcomes[next++], key)));
    return sendAnswer(reply, batchAnswerOf(outcomes, results), this.metrics);
  }
}
