import { BadRequestException, Body, Controller, Headers, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { checkEvent, EventInput } from './event-validator';
import { Accepted, IngestService } from './ingest.service';
import { idempotencyKeyOf, requireJson } from './request-checks';
import { traceparentOf } from '../observe/traceparent';
import { RetryLaterFilter } from './retry-later.filter';

export const MAX_BATCH = 500;

/** `POST /v1/events/batch`; the single-event route lives in ingest.route.ts (the hot path). */
@Controller('v1/events')
@UseGuards(ApiKeyGuard)
@UseFilters(RetryLaterFilter)
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post('batch')
  @HttpCode(202)
  async batch(
    @Body() body: unknown,
    @Req() req: { tenant: string; rawBody?: Buffer },
    @Headers('content-type') contentType?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('x-signature-256') signature?: string,
    @Headers('traceparent') traceparent?: string,
  ): Promise<{ results: Array<Accepted | { error: string }> }> {
    requireJson(contentType);
    this.ingest.checkSignature(req.rawBody, signature);
    const key = idempotencyKeyOf(idempotencyKey);
    const events = (body as { events?: unknown } | null)?.events;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestException('body must be a JSON object with an "events" array');
    for (const field in body) if (field !== 'events') throw new BadRequestException(`${field}: unknown field (allowed: events)`);
    if (!Array.isArray(events)) throw new BadRequestException('events: required, must be an array');
    if (events.length === 0) throw new BadRequestException('events: must hold at least one event');
    if (events.length > MAX_BATCH) throw new BadRequestException(`events: holds ${events.length} events; the limit is ${MAX_BATCH}`);
    // Each event is judged alone: the good ones are accepted, the bad ones answered with their error.
    const checked = events.map((e, i) => checkEvent(e, `events[${i}].`));
    const valid: EventInput[] = [];
    for (const c of checked) if (c.ok) valid.push(c.event);
    // Ids derive from the key and the index among valid events, so a retried batch maps to the same ids.
    const accepted = valid.length ? await this.ingest.accept(valid, req.tenant, key, true, traceparentOf(traceparent)) : [];
    let next = 0;
    return { results: checked.map((c) => (c.ok ? accepted[next++] : { error: c.error })) };
  }
}
