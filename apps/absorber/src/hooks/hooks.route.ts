import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SPILLWAY_CONFIG, SpillwayConfig, WebhookSource } from '@spillway/config';
import { Metrics } from '@spillway/health';
import { hookTenant } from '../ingest/event-origin';
import { HookPayloadError, NotAuthenticatedError, OutcomeUnknownError, PostOnlyError, RateLimitedError, UnknownSourceError } from '../ingest/errors';
import { answerOf, sendAnswer } from '../ingest/http-answer';
import { heldOrThrow, IngestService } from '../ingest/ingest.service';
import { TenantRateLimiter } from '../ingest/tenant-rate-limiter';
import { hookEvent } from './hook-event';
import { HookMetrics } from './hook-metrics';
import { HandshakeReply, HookRequest } from './provider';
import { PROVIDERS } from './providers';

export const HOOKS_PATH = '/v1/hooks/:source';

type Params = { source: string };

/** The URL as the sender called it: a TLS proxy in front says the scheme in X-Forwarded-Proto. */
function publicUrl(request: FastifyRequest): string {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0].trim() || request.protocol;
  return `${proto}://${request.headers.host ?? 'localhost'}${request.url}`;
}

/**
 * `POST /v1/hooks/<source>` (and `GET` for Meta's handshake): webhooks as senders send them.
 * Registered on Fastify in a plugin of its own, like the single-event route and for the same
 * reason (speed), and so that its body parser keeps the raw bytes (every content type, as a
 * Buffer) without touching how `/v1/events` parses JSON. Order: source (404), signature over the
 * raw bytes (401 naming the failed check), the source's rate (429), the provider's body (400),
 * then the same admission, ids and broker path as `/v1/events`: 202 only once the broker holds it.
 */
@Injectable()
export class HooksRoute implements OnModuleInit {
  private readonly sources = new Map<string, WebhookSource>();
  private readonly limiters = new Map<string, TenantRateLimiter>();
  private readonly counts: HookMetrics;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ingest: IngestService,
    private readonly metrics: Metrics,
    @Inject(SPILLWAY_CONFIG) private readonly config: SpillwayConfig,
  ) {
    for (const source of config.webhooks) {
      this.sources.set(source.name, source);
      this.limiters.set(source.name, new TenantRateLimiter(source.rateLimit));
    }
    this.counts = new HookMetrics(metrics);
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(async (scope) => {
      // Scoped to this plugin: JSON, forms and anything else arrive as the exact bytes sent.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      scope.post<{ Params: Params }>(HOOKS_PATH, (request, reply) => this.handle(request, reply));
      scope.get<{ Params: Params; Querystring: Record<string, string> }>(HOOKS_PATH, (request, reply) => this.challenge(request, reply));
    });
  }

  /** Answers a refusal through the one mapping (http-answer.ts); anything else is rethrown (a 500). */
  private refuse(reply: FastifyReply, err: unknown): FastifyReply {
    const answer = answerOf(err);
    if (!answer) throw err;
    return sendAnswer(reply, answer, this.metrics);
  }

  private sourceOf(name: string, reply: FastifyReply): WebhookSource | undefined {
    const source = this.sources.get(name);
    if (!source) this.refuse(reply, new UnknownSourceError(name));
    return source;
  }

  private send(reply: FastifyReply, answer: HandshakeReply): FastifyReply {
    return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  }

  private challenge(request: FastifyRequest<{ Params: Params; Querystring: Record<string, string> }>, reply: FastifyReply): FastifyReply {
    const source = this.sourceOf(request.params.source, reply);
    if (!source) return reply;
    const provider = PROVIDERS[source.provider];
    if (!provider.challenge) return this.refuse(reply, new PostOnlyError(source.name, source.provider));
    const answer = provider.challenge(request.query, source);
    this.counts.count(source.name, answer.status === 200 ? 'handshake' : 'unauthorized');
    return this.send(reply, answer);
  }

  private async handle(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply): Promise<FastifyReply> {
    const source = this.sourceOf(request.params.source, reply);
    if (!source) return reply;
    const provider = PROVIDERS[source.provider];
    const hook: HookRequest = {
      raw: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      headers: request.headers,
      publicUrl: publicUrl(request),
      nowS: Math.floor(Date.now() / 1000),
      toleranceS: this.config.signatureToleranceS,
    };
    const failed = provider.verify(hook, source);
    if (failed) {
      this.counts.count(source.name, 'unauthorized');
      return this.refuse(reply, new NotAuthenticatedError(`${source.provider} signature check failed: ${failed}`));
    }
    const allowed = this.limiters.get(source.name)!.take(source.name, 1);
    if (!allowed.ok) {
      this.counts.count(source.name, 'rate_limited');
      const message = `source "${source.name}" is over its rate of ${source.rateLimit} events/s (WEBHOOK_RATE_LIMITS); retry in ${allowed.retryAfterSeconds} s`;
      return this.refuse(reply, new RateLimitedError(message, allowed.retryAfterSeconds));
    }
    let event;
    try {
      const derived = provider.derive(hook, source);
      if (derived.kind === 'reply') {
        this.counts.count(source.name, 'handshake');
        return this.send(reply, derived);
      }
      event = hookEvent(source, hook, derived, provider.keptHeaders);
    } catch (err) {
      if (!(err instanceof HookPayloadError)) throw err;
      this.counts.count(source.name, 'bad_request');
      return this.refuse(reply, err);
    }
    try {
      const results = await this.ingest.accept({ events: [event], tenant: hookTenant(source.name) });
      const accepted = heldOrThrow(results[0], undefined);
      this.counts.count(source.name, 'accepted');
      return reply
        .code(202)
        .header('content-type', 'application/json; charset=utf-8')
        .send(`{"id":"${accepted.id}","lane":"${accepted.lane}","type":${JSON.stringify(event.type)}}`);
    } catch (err) {
      // Admission (the source's tenant rate, a lane shedding, the in-flight bound) or the broker.
      const answer = answerOf(err);
      if (!answer) throw err;
      this.counts.count(source.name, err instanceof OutcomeUnknownError ? 'unknown_outcome' : 'refused');
      return sendAnswer(reply, answer, this.metrics);
    }
  }
}
