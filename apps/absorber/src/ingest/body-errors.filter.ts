import { ArgumentsHost, Catch, HttpException, HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';

/**
 * Fastify refuses some bodies before a controller runs (Nest wraps those as an HttpException
 * whose response is Fastify's bare message string). This gives them the same shape as every other
 * 4xx and a message that says what to fix.
 */
@Catch(HttpException)
export class BodyErrorsFilter extends BaseExceptionFilter {
  constructor(private readonly bodyLimitBytes: number, adapter: HttpServer) {
    super(adapter);
  }

  private rewrite(status: number, original: string): [string, string] | undefined {
    switch (status) {
      case 413:
        return ['Payload Too Large', `body is over the limit of ${this.bodyLimitBytes} bytes`];
      case 415:
        return ['Unsupported Media Type', 'Content-Type must be application/json'];
      case 400:
        if (/empty/i.test(original)) return ['Bad Request', 'body is empty: send a JSON object'];
        return ['Bad Request', `body is not valid JSON (${original})`];
    }
    return undefined;
  }

  catch(err: HttpException, host: ArgumentsHost): void {
    const response = err.getResponse();
    const statusCode = err.getStatus();
    const mapped = typeof response === 'string' ? this.rewrite(statusCode, response) : undefined;
    if (!mapped) return super.catch(err, host);
    const [error, message] = mapped;
    host.switchToHttp().getResponse<FastifyReply>().status(statusCode).send({ statusCode, error, message });
  }
}
