import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BrokerUnavailableError } from '../../../../libs/queue/src';
import { Metrics } from '../../../../libs/health/src';

/**
 * A refusal the sender should retry: 409 (a request with the same Idempotency-Key is in flight),
 * 429 (tenant over its rate) or 503 (lane over its mark).
 */
export class RetryLaterError extends Error {
  constructor(readonly status: 409 | 429 | 503, message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export function isRetryLater(err: unknown): err is BrokerUnavailableError | RetryLaterError {
  return err instanceof BrokerUnavailableError || err instanceof RetryLaterError;
}

const REASON = { 409: 'Conflict', 429: 'Too Many Requests', 503: 'Service Unavailable' } as const;

/** Nothing was accepted; the answer says when to come back. */
export function replyRetryLater(reply: FastifyReply, err: BrokerUnavailableError | RetryLaterError, metrics: Metrics): FastifyReply {
  const [status, retryAfter, message] =
    err instanceof RetryLaterError
      ? [err.status, err.retryAfterSeconds, err.message]
      : [503, 1, `queue unavailable, nothing was accepted; retry later (${err.message})`];
  metrics.rejected.inc({ status: String(status) });
  return reply
    .status(status)
    .header('Retry-After', String(retryAfter))
    .send({ statusCode: status, error: REASON[status as 409 | 429 | 503], message });
}

@Catch(BrokerUnavailableError, RetryLaterError)
export class RetryLaterFilter implements ExceptionFilter {
  constructor(private readonly metrics: Metrics) {}

  catch(err: BrokerUnavailableError | RetryLaterError, host: ArgumentsHost): void {
    replyRetryLater(host.switchToHttp().getResponse<FastifyReply>(), err, this.metrics);
  }
}
