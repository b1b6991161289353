import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { SpillwayConfig } from '../../../libs/config/src';
import { runMigrationsLocked } from '../../../libs/db/src';
import { createLogger, Metrics, PinoNestLogger } from '../../../libs/health/src';
import { AbsorberModule } from './absorber.module';
import { BodyErrorsFilter } from './ingest/body-errors.filter';
import { observeIngest } from './observe/ingest-metrics.hook';

/** Builds the absorber (not listening yet); tests and `main.ts` share it. */
export async function createAbsorber(config: SpillwayConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel, 'absorber');
  if (config.apiKeyHashes.length === 0) logger.warn('INGEST_API_KEYS is not set: ingest is open to anyone who can reach it');
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // No per-request logging: at tens of thousands of requests a second it costs more than the work.
    logger: false,
    // Let in-flight requests finish on close, but drop idle keep-alive sockets at once.
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AbsorberModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    // The raw bytes are kept only when signatures must be checked against them.
    rawBody: config.hmacSecrets.length > 0,
  });
  app.useGlobalFilters(new BodyErrorsFilter(config.bodyLimitBytes, app.get(HttpAdapterHost).httpAdapter));
  observeIngest(adapter.getInstance(), app.get(Metrics));
  if (config.runMigrations) {
    const applied = await runMigrationsLocked(app.get(DataSource));
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  return app;
}
