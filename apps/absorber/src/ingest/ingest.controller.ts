import { BadRequestException, Body, Controller, Headers, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Metrics } from '../../../../libs/health/src';
import { ApiKeyGuard } from './api-key.guard';
import { checkEvent, EventInput } from './event-validator';
import { Accepted, EventResult, IngestService } from './ingest.service';
import { UNKNOWN_RETRY_AFTER_S, unknownAdvice } from './outcome-unknown';
import { idempotencyKeyOf, requireJson } from './request-checks';
import { traceparentOf } from '../observe/traceparent';
import { RetryLaterFilter } from './retry-later.filter';

export const MAX_BATCH = 500;

/** `POST /v1/events/batch`; the single-event route lives in ingest.route.ts (the hot path). */
@Controller('v1/events')
@UseGuards(ApiKeyGuard)
@UseFilters(RetryLaterFilter)
export class IngestController {
  constructor(private readonly ingest: IngestService, private readonly metrics: Metrics) {}

  /**
   * Each event is judged alone and answered with its own fate: `{id, lane}` held, `{error}`
   * invalid, `{error, status: 403}` a type in a webhook source's namespace, `{error, status: 503}`
   * refused (nothing held), `{id, lane, outcome: "unknown", status: 504, error}` the broker did not
   * answer. The request's status is 202 when at
   * least one event is held or every event is invalid, else 504 when any outcome is unknown, else
   * 503 (nothing held).
   */
  @Post('batch')
  async batch(
    @Body() body: unknown,
    @Req() req: { tenant: string; rawBody?: Buffer },
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('content-type') contentType?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('x-signature-256') signature?: string,
    @Headers('traceparent') traceparent?: string,
  ): Promise<{ results: BatchResult[] }> {
    requireJson(contentType);
    this.ingest.checkSignature(req.rawBody, signature);
    const key = idempotencyKeyOf(idempotencyKey);
    const events = (body as { events?: unknown } | null)?.events;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestException('body must be a JSON object with an "events" array');
    for (const field in body) if (field !== 'events') throw new BadRequestException(`${field}: unknown field (allowed: events)`);
    if (!Array.isArray(events)) throw new BadRequestException('events: required, must be an array');
    if (events.length === 0) throw new BadRequestException('events: must hold at least one event');
    if (events.length > MAX_BATCH) throw new BadRequestException(`events: holds ${events.length} events; the limit is ${MAX_BATCH}`);
    const checked = events.map((e, i) => {
      const c = checkEvent(e, `events[${i}].`);
      const reserved = c.ok ? this.ingest.reservedTypeProblem(c.event.type, `events[${i}].type`) : undefined;
      return reserved ? { ok: false as const, error: reserved, status: 403 as const } : c;
    });
    const valid: EventInput[] = [];
    for (const c of checked) if (c.ok) valid.push(c.event);
    // Ids derive from the key and the index among valid events, so a retried batch maps to the same ids.
    const outcomes = valid.length ? await this.ingest.accept(valid, req.tenant, key, true, traceparentOf(traceparent)) : [];
    let next = 0;
    const results = checked.map((c): BatchResult => (c.ok ? answerOf(outcomes[next++], key) : 'status' in c ? { error: c.error, status: c.status } : { error: c.error }));
    const status = statusOf(outcomes);
    reply.status(status);
    if (status !== 202) {
      reply.header('Retry-After', String(UNKNOWN_RETRY_AFTER_S));
      this.metrics.rejected.inc({ status: String(status) });
    }
    return { results };
  }
}

type BatchResult = Accepted | { error: string; status?: 403 | 503 } | (Accepted & { outcome: 'unknown'; status: 504; error: string });

function answerOf(result: EventResult, key: string | undefined): BatchResult {
  if (result.outcome === 'held') return { id: result.id, lane: result.lane };
  if (result.outcome === 'refused') return { error: `not accepted, nothing was held: ${result.reason}; retry this event`, status: 503 };
  return { id: result.id, lane: result.lane, outcome: 'unknown', status: 504, error: `outcome unknown: ${result.reason}; ${unknownAdvice(key)}` };
}

function statusOf(outcomes: EventResult[]): 202 | 503 | 504 {
  if (outcomes.length === 0 || outcomes.some((o) => o.outcome === 'held')) return 202;
  return outcomes.some((o) => o.outcome === 'unknown') ? 504 : 503;
}
