import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAbsorber } from '../../apps/absorber/src/bootstrap';
import { createWorker } from '../../apps/worker/src/bootstrap';
import { LaneConsumers } from '../../apps/worker/src/lane-consumers.service';
import { HANDLERS } from '../../apps/worker/src/worker.module';
import { SpillwayConfig } from '@spillway/config';

/** The absorber in-process, ready for supertest (not listening on a port). */
export async function startAbsorber(config: SpillwayConfig): Promise<NestFastifyApplication> {
  const app = await createAbsorber(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** The worker in-process with its consumers running. */
export async function startWorker(config: SpillwayConfig, extraHandlers: Type[] = []): Promise<NestFastifyApplication> {
  const app = await createWorker(config, [...HANDLERS, ...extraHandlers]);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.get(LaneConsumers).whenStarted();
  return app;
}
