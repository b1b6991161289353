import { ArgumentsHost, Catch, HttpException, HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { Metrics } from '@spillway/health';
import { BadRequestError, NotJsonError, TooLargeError } from './errors';
import { answerOf, sendAnswer } from './http-answer';

/**
 * Fastify refuses some bodies before a handler runs; Nest wraps those as an HttpException whose
 * response is Fastify's bare message string. This names them as ingest errors, with a message that
 * says what to fix; undefined for any other error.
 */
export function bodyErrorOf(err: unknown, bodyLimitBytes: number): Error | undefined {
  if (!(err instanceof HttpException)) return undefined;
  const original = err.getResponse();
  if (typeof original !== 'string') return undefined;
  switch (err.getStatus()) {
    case 413:
      return new TooLargeError(`body is over the limit of ${bodyLimitBytes} bytes`);
    case 415:
      return new NotJsonError('Content-Type must be application/json');
    case 400:
      if (/empty/i.test(original)) return new BadRequestError('body is empty: send a JSON object');
      return new BadRequestError(`body is not valid JSON (${original})`);
  }
  return undefined;
}

/**
 * The absorber's one Nest filter: what reaches Nest's error handler (the batch controller, its
 * guard, the body parser, anything a route rethrows) is answered by the same mapping as the
 * routes' own refusals (http-answer.ts); everything else as Nest would.
 */
@Catch()
export class IngestErrorsFilter extends BaseExceptionFilter {
  constructor(
    private readonly bodyLimitBytes: number,
    private readonly metrics: Metrics,
    adapter: HttpServer,
  ) {
    super(adapter);
  }

  catch(err: unknown, host: ArgumentsHost): void {
    const answer = answerOf(err) ?? answerOf(bodyErrorOf(err, this.bodyLimitBytes));
    if (!answer) return super.catch(err, host);
    sendAnswer(host.switchToHttp().getResponse<FastifyReply>(), answer, this.metrics);
  }
}
