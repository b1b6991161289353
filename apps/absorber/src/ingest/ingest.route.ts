import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Metrics } from '@spillway/health';
import { ApiKeyGuard } from './api-key.guard';
import { BadRequestError, ReservedTypeError } from './errors';
import { ReservedTypes } from './event-origin';
import { checkEvent } from './event-validator';
import { answerOf, sendAnswer } from './http-answer';
import { heldOrThrow, IngestService } from './ingest.service';
import { idempotencyKeyOf, requireJson } from './request-checks';
import { SignatureVerifier } from './signature';
import { labelIngestLane } from '../observe/ingest-metrics.hook';
import { traceparentOf } from '../observe/traceparent';

export const SINGLE_EVENT_PATH = '/v1/events';

/**
 * `POST /v1/events`, the hot route, registered on the Fastify instance from inside the Nest
 * module rather than as a controller method: under load, Nest's per-request pipeline (router
 * proxy, execution context, guard and pipe consumers, param factories, response handling) was on
 * the stack of a quarter of the busy CPU samples, around a handler that does little itself (see
 * bench/results/). Checks in the batch controller's order: API key, Content-Type, signature,
 * Idempotency-Key, the event, a webhook source's namespace; then admission and the broker. 202 only
 * after the broker acknowledged; every refusal is answered by http-answer.ts. Errors that are not
 * refusals reach Fastify's error handler, which Nest owns (a 500); body errors (400/413/415 from
 * the parser) never reach the handler at all (IngestErrorsFilter answers them).
 */
@Injectable()
export class IngestRoute implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: ApiKeyGuard,
    private readonly signatures: SignatureVerifier,
    private readonly reserved: ReservedTypes,
    private readonly ingest: IngestService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.post(SINGLE_EVENT_PATH, (request, reply) => this.handle(request, reply));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const headers = request.headers;
    try {
      const tenant = this.guard.authenticate(headers.authorization);
      requireJson(headers['content-type']);
      this.signatures.check((request as { rawBody?: Buffer }).rawBody, headers['x-signature-256'] as string | undefined);
      const key = idempotencyKeyOf(headers['idempotency-key'] as string | undefined);
      const checked = checkEvent(request.body);
      if (!checked.ok) throw new BadRequestError(checked.error);
      const reserved = this.reserved.problem(checked.event.type);
      if (reserved) throw new ReservedTypeError(reserved);
      const results = await this.ingest.accept({ events: [checked.event], tenant, idempotencyKey: key, traceparent: traceparentOf(headers.traceparent) });
      const accepted = heldOrThrow(results[0], key);
      labelIngestLane(request, accepted.lane);
      // Built by hand: an id is hex and dashes and a lane one of three words, nothing to escape.
      return reply
        .code(202)
        .header('content-type', 'application/json; charset=utf-8')
        .send(`{"id":"${accepted.id}","lane":"${accepted.lane}"}`);
    } catch (err) {
      const answer = answerOf(err);
      if (answer) return sendAnswer(reply, answer, this.metrics);
      throw err;
    }
  }
}
