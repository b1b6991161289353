// CPU spent by the absorber's accept path alone, in-process: IngestService.accept for one event at
// a time, 100 requests per event-loop turn, against a driver that answers every write at once (so
// neither a broker nor HTTP is timed). CPU time, not wall time: on a shared machine the wall clock
// measures the neighbours. Run: node -r @swc-node/register bench/accept-cpu.ts
import 'reflect-metadata';
import { Admission } from '../apps/absorber/src/ingest/admission';
import { Clock } from '../apps/absorber/src/ingest/clock';
import { EnqueueBatcher } from '../apps/absorber/src/ingest/enqueue-batcher';
import { EventIds } from '../apps/absorber/src/ingest/event-ids';
import { EventWriter } from '../apps/absorber/src/ingest/event-writer';
import { IdempotencyGate } from '../apps/absorber/src/ingest/idempotency-gate';
import { laneShedderFor } from '../apps/absorber/src/ingest/ingest.providers';
import { heldOrThrow, IngestService } from '../apps/absorber/src/ingest/ingest.service';
import { LaneRouter, loadConfig } from '@spillway/config';
import { Metrics } from '@spillway/health';
import type { IdempotencyStore, QueueDriver } from '@spillway/queue';

const REQUESTS = 200_000;
const PER_TURN = 100;

const driver = {
  capabilities: { exactDepth: true },
  enqueue: () => Promise.resolve(),
  depth: async () => ({ waiting: 0, delayed: 0, active: 0 }),
} as unknown as QueueDriver;
// No limits in the way: no rate, no shedding, a bound that is never reached; no key, so no store.
const config = loadConfig({ LANE_HIGH_WATER: '0', TENANT_RATE_LIMIT: '0', ENQUEUE_MAX_IN_FLIGHT: '1000000' });
const batcher = new EnqueueBatcher(driver, config);
const shedder = laneShedderFor(config, driver);
const service = new IngestService(
  new LaneRouter(config.laneRoutes),
  new Admission(config, shedder, batcher),
  new IdempotencyGate(config, {} as IdempotencyStore),
  new EventIds(),
  new EventWriter(batcher, shedder, new Metrics(driver)),
  new Clock(),
);

const acceptOne = async (i: number) => heldOrThrow((await service.accept({ events: [{ type: 'order.created', data: { i } }], tenant: 't' }))[0], undefined);

async function cpuMs(requests: number): Promise<number> {
  const start = process.cpuUsage();
  for (let done = 0; done < requests; done += PER_TURN) {
    const turn = new Array<Promise<unknown>>(PER_TURN);
    for (let j = 0; j < PER_TURN; j++) turn[j] = acceptOne(done + j);
    await Promise.all(turn);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

void (async () => {
  await cpuMs(REQUESTS / 4); // warm-up: let the JIT settle
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) runs.push(await cpuMs(REQUESTS));
  runs.sort((a, b) => a - b);
  console.log(`accept path: median ${runs[2].toFixed(0)} CPU ms per ${REQUESTS} single-event accepts (runs ${runs.map((m) => m.toFixed(0)).join(', ')})`);
})();
