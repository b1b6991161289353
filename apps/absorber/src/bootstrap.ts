import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { checkAbsorberConfig, SpillwayConfig } from '@spillway/config';
import { createLogger, logDestination, Metrics, PinoNestLogger } from '@spillway/health';
import { AbsorberModule } from './absorber.module';
import { slowClientLimits } from './http-limits';
import { IngestErrorsFilter } from './ingest/errors.filter';
import { observeIngest } from './observe/ingest-metrics.hook';

/** Builds the absorber (not listening yet); tests and `main.ts` share it. */
export async function createAbsorber(config: SpillwayConfig): Promise<NestFastifyApplication> {
  // Fails closed whoever builds the app (main.ts has already said so in one line and exited).
  checkAbsorberConfig(config);
  const logger = createLogger(config.logLevel, 'absorber', config.logFormat, logDestination(config.logFile));
  if (config.apiKeyHashes.length === 0) logger.warn('INGEST_API_KEYS is not set: ingest is open to anyone who can reach it');
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // No per-request logging: at tens of thousands of requests a second it costs more than the work.
    logger: false,
    // Let in-flight requests finish on close, but drop idle keep-alive sockets at once.
    forceCloseConnections: 'idle',
    // No Nest middleware here: without this Nest registers @fastify/middie, whose hook then runs on
    // every request for nothing (it sat on the stack of ~13% of busy samples under load).
    skipMiddie: true,
    // Request, header and keep-alive timeouts and the connection cap (HTTP_* env).
    ...slowClientLimits(config),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AbsorberModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    // The raw bytes are kept only when signatures must be checked against them.
    rawBody: config.hmacSecrets.length > 0,
  });
  app.useGlobalFilters(new IngestErrorsFilter(config.bodyLimitBytes, app.get(Metrics), app.get(HttpAdapterHost).httpAdapter));
  observeIngest(adapter.getInstance(), app.get(Metrics));
  return app;
}
