import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BrokerUnavailableError } from '../../../../libs/queue/src';
import { Metrics } from '../../../../libs/health/src';

/** The broker did not acknowledge: nothing was accepted, the sender should retry shortly. */
export function replyBrokerUnavailable(reply: FastifyReply, err: BrokerUnavailableError, metrics: Metrics): FastifyReply {
  metrics.rejected.inc({ status: '503' });
  return reply
    .status(503)
    .header('Retry-After', '1')
    .send({ statusCode: 503, error: 'Service Unavailable', message: `queue unavailable, nothing was accepted; retry later (${err.message})` });
}

@Catch(BrokerUnavailableError)
export class BrokerUnavailableFilter implements ExceptionFilter {
  constructor(private readonly metrics: Metrics) {}

  catch(err: BrokerUnavailableError, host: ArgumentsHost): void {
    replyBrokerUnavailable(host.switchToHttp().getResponse<FastifyReply>(), err, this.metrics);
  }
}
