import type { Provider } from '@nestjs/common';
import { LaneRouter, SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { QUEUE_DRIVER, QueueDriver, SHEDDER_SAMPLING } from '@spillway/queue';
import { Admission } from './admission';
import { ApiKeyGuard } from './api-key.guard';
import { Clock } from './clock';
import { EnqueueBatcher } from './enqueue-batcher';
import { EventIds } from './event-ids';
import { ReservedTypes } from './event-origin';
import { EventWriter } from './event-writer';
import { IdempotencyGate } from './idempotency-gate';
import { IngestService } from './ingest.service';
import { LaneShedder } from './lane-shedder';
import { SignatureVerifier } from './signature';

/** The absorber's shedder, reading the configured driver (its backlog where it has one, else its depth). */
export function laneShedderFor(config: SpillwayConfig, driver: QueueDriver): LaneShedder {
  return new LaneShedder(
    config.laneHighWater,
    driver.backlog ? (lane) => driver.backlog!(lane) : (lane) => driver.depth(lane),
    config.redisMemoryHighWater,
    driver.memoryUse ? () => driver.memoryUse!() : undefined,
    { ...SHEDDER_SAMPLING, exactDepth: driver.capabilities.exactDepth },
  );
}

/** The parts of ingest, each injected where it is used; plain classes are built from the config here. */
export const INGEST_PROVIDERS: Provider[] = [
  { provide: LaneRouter, inject: [SPILLWAY_CONFIG], useFactory: (config: SpillwayConfig) => new LaneRouter(config.laneRoutes) },
  { provide: LaneShedder, inject: [SPILLWAY_CONFIG, QUEUE_DRIVER], useFactory: laneShedderFor },
  {
    provide: SignatureVerifier,
    inject: [SPILLWAY_CONFIG],
    useFactory: (config: SpillwayConfig) => new SignatureVerifier(config.hmacSecrets, config.signatureToleranceS),
  },
  { provide: ReservedTypes, inject: [SPILLWAY_CONFIG], useFactory: (config: SpillwayConfig) => new ReservedTypes(config.webhooks) },
  ApiKeyGuard,
  Clock,
  EventIds,
  EnqueueBatcher,
  Admission,
  IdempotencyGate,
  EventWriter,
  IngestService,
];
