import { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SpillwayConfig } from '@spillway/config';
import { createLogger, logDestination, PinoNestLogger } from '@spillway/health';
import { HANDLERS, WorkerModule } from './worker.module';

/**
 * The worker serves no API: its only HTTP is health and metrics on WORKER_HEALTH_PORT, so the
 * same probes work on Compose and Kubernetes.
 */
export async function createWorker(config: SpillwayConfig, handlers: Type[] = HANDLERS): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel, 'worker', config.logFormat, logDestination(config.logFile));
  return NestFactory.create<NestFastifyApplication>(
    WorkerModule.forRoot(config, handlers),
    new FastifyAdapter({ logger: false, forceCloseConnections: true }),
    { logger: new PinoNestLogger(logger), abortOnError: false },
  );
}
