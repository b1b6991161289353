import { BadRequestException, ForbiddenException, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Metrics } from '../../../../libs/health/src';
import { ApiKeyGuard } from './api-key.guard';
import { isRetryLater, replyRetryLater } from './retry-later.filter';
import { checkEvent } from './event-validator';
import { OutcomeUnknownError, replyOutcomeUnknown } from './outcome-unknown';
import { IngestService } from './ingest.service';
import { idempotencyKeyOf, requireJson } from './request-checks';
import { labelIngestLane } from '../observe/ingest-metrics.hook';
import { traceparentOf } from '../observe/traceparent';

export const SINGLE_EVENT_PATH = '/v1/events';

/**
 * `POST /v1/events`, the hot route, registered on the Fastify instance from inside the Nest
 * module rather than as a controller method: under load, Nest's per-request pipeline (router
 * proxy, execution context, guard and pipe consumers, param factories, response handling) was on
 * the stack of a quarter of the busy CPU samples, around a handler that does little itself (see
 * bench/results/). Semantics are the controller's, in the same order:
 * 401 from the same ApiKeyGuard check (and the signature check), 415, 400 naming the field,
 * 403 for a type in a webhook source's namespace,
 * 409/429/503 with Retry-After (key in flight, tenant rate, lane high-water mark, broker refused:
 * nothing held), 504 when the broker did not answer in time (outcome unknown), 202 only after the
 * broker acknowledged. Other errors thrown here reach Fastify's
 * error handler, which Nest owns, so they get the same global filters and body shape as every
 * other route; body errors (400/413/415 from the parser) never reach the handler at all.
 */
@Injectable()
export class IngestRoute implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: ApiKeyGuard,
    private readonly ingest: IngestService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.post(SINGLE_EVENT_PATH, (request, reply) => this.handle(request, reply));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const headers = request.headers;
    const tenant = this.guard.authenticate(headers.authorization);
    requireJson(headers['content-type']);
    this.ingest.checkSignature((request as { rawBody?: Buffer }).rawBody, headers['x-signature-256'] as string | undefined);
    const key = idempotencyKeyOf(headers['idempotency-key'] as string | undefined);
    const checked = checkEvent(request.body);
    if (!checked.ok) throw new BadRequestException(checked.error);
    const reserved = this.ingest.reservedTypeProblem(checked.event.type);
    if (reserved) throw new ForbiddenException(reserved);
    let accepted;
    try {
      accepted = await this.ingest.acceptOne(checked.event, tenant, key, traceparentOf(headers.traceparent));
    } catch (err) {
      if (isRetryLater(err)) return replyRetryLater(reply, err, this.metrics);
      if (err instanceof OutcomeUnknownError) return replyOutcomeUnknown(reply, err, this.metrics);
      throw err;
    }
    labelIngestLane(request, accepted.lane);
    // Built by hand: an id is hex and dashes and a lane one of three words, nothing to escape.
    return reply
      .code(202)
      .header('content-type', 'application/json; charset=utf-8')
      .send(`{"id":"${accepted.id}","lane":"${accepted.lane}"}`);
  }
}
