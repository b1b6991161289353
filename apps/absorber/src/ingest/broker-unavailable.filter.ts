import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BrokerUnavailableError } from '../../../../libs/queue/src';
import { Metrics } from '../../../../libs/health/src';

/** The broker did not acknowledge: nothing was accepted, the sender should retry shortly. */
@Catch(BrokerUnavailableError)
export class BrokerUnavailableFilter implements ExceptionFilter {
  constructor(private readonly metrics: Metrics) {}

  catch(err: BrokerUnavailableError, host: ArgumentsHost): void {
    this.metrics.rejected.inc({ status: '503' });
    host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(503)
      .header('Retry-After', '1')
      .send({ statusCode: 503, error: 'Service Unavailable', message: `queue unavailable, nothing was accepted; retry later (${err.message})` });
  }
}
