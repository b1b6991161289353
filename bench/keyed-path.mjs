// The keyed path alone: requests one at a time through a build's IngestService (BullMQ, the Redis
// idempotency store) against a Redis that fsyncs every write, so each answer is its round trips
// and nothing else: the latency with an Idempotency-Key and without, and the Redis commands each
// request cost (INFO commandstats). Several builds are measured in interleaved blocks.
//   REDIS_URL=redis://127.0.0.1:<your port> node bench/keyed-path.mjs dist [bench/results/tmp/dist-base ...]
// The Redis is switched to `appendonly yes`, `appendfsync always` for the run (its AOF goes to the
// server's `dir`: start it outside the repository, e.g. `redis-server --port P --dir /tmp/x`).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const IORedis = require('ioredis');

const dists = process.argv.slice(2);
if (!dists.length || !process.env.REDIS_URL) {
  console.error('usage: REDIS_URL=redis://127.0.0.1:<port> node bench/keyed-path.mjs DIST [DIST ...]');
  process.exit(2);
}
const BLOCK = 100;
const ROUNDS = Number(process.env.ROUNDS ?? 10);

function serviceOf(dist, prefix) {
  const at = (path) => require(resolve(dist, path));
  const { loadConfig, LaneRouter } = at('libs/config/src/index.js');
  const { BullmqDriver } = at('libs/queue/src/drivers.js');
  const { createIdempotencyStore } = at('libs/queue/src/index.js');
  const { Metrics } = at('libs/health/src/index.js');
  const ingest = (name) => at(`apps/absorber/src/ingest/${name}.js`);
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_DRIVER: 'bullmq',
    IDEMPOTENCY_STORE: 'redis',
    QUEUE_PREFIX: prefix,
    TENANT_RATE_LIMIT: '0',
    LANE_HIGH_WATER: '0',
  });
  const driver = new BullmqDriver(config);
  return createIdempotencyStore(config).then((store) => {
    const batcher = new (ingest('enqueue-batcher').EnqueueBatcher)(driver, config);
    const shedder = ingest('ingest.providers').laneShedderFor(config, driver);
    const service = new (ingest('ingest.service').IngestService)(
      new LaneRouter(config.laneRoutes),
      new (ingest('admission').Admission)(config, shedder, batcher),
      new (ingest('idempotency-gate').IdempotencyGate)(config, store),
      new (ingest('event-ids').EventIds)(),
      new (ingest('event-writer').EventWriter)(batcher, shedder, new Metrics(driver)),
      new (ingest('clock').Clock)(),
    );
    return { dist, service, driver, store, keyed: [], plain: [], commands: { keyed: [0, 0], plain: [0, 0] } };
  });
}

/** Scripts run (EVAL, EVALSHA) and commands in all (those the scripts call included), but INFO. */
async function scriptCalls(redis) {
  const info = await redis.info('commandstats');
  let scripts = 0;
  let all = 0;
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    if (m[1] === 'eval' || m[1] === 'evalsha') scripts += Number(m[2]);
    if (m[1] !== 'info') all += Number(m[2]);
  }
  return [scripts, all];
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const admin = new IORedis(process.env.REDIS_URL);
const before = await admin.config('GET', 'appendonly');
await admin.config('SET', 'appendonly', 'yes');
await admin.config('SET', 'appendfsync', 'always');
const runs = await Promise.all(dists.map((d, i) => serviceOf(d, `kp${process.pid}b${i}`)));
for (const run of runs) await run.driver.waitUntilConnected(5000);

let n = 0;
async function block(run, keyed) {
  const before = await scriptCalls(admin);
  for (let i = 0; i < BLOCK; i++) {
    const started = process.hrtime.bigint();
    const [result] = await run.service.accept({
      events: [{ type: 'order.created', data: { n: ++n } }],
      tenant: 'bench',
      idempotencyKey: keyed ? `kp-${process.pid}-${n}` : undefined,
    });
    if (result.outcome !== 'held') throw new Error(`not held: ${JSON.stringify(result)}`);
    (keyed ? run.keyed : run.plain).push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  // Settle the answers' stragglers (none expected) before counting.
  await new Promise((r) => setTimeout(r, 20));
  const after = await scriptCalls(admin);
  const counts = run.commands[keyed ? 'keyed' : 'plain'];
  counts[0] += after[0] - before[0];
  counts[1] += after[1] - before[1];
}

for (let r = 0; r < ROUNDS + 1; r++) {
  for (const run of runs) {
    if (r === 0) {
      await block(run, true); // warm-up
      await block(run, false);
      run.keyed.length = run.plain.length = 0;
      run.commands = { keyed: [0, 0], plain: [0, 0] };
      continue;
    }
    await block(run, true);
    await block(run, false);
  }
}
for (const run of runs) {
  const f = (xs) => `p50 ${pct(xs, 50).toFixed(2)} / p90 ${pct(xs, 90).toFixed(2)} / p99 ${pct(xs, 99).toFixed(2)} ms`;
  const per = ([scripts, all]) => `${(scripts / (ROUNDS * BLOCK)).toFixed(2)} scripts (${(all / (ROUNDS * BLOCK)).toFixed(1)} commands in all)`;
  console.log(`${run.dist}: keyed ${f(run.keyed)}, ${per(run.commands.keyed)} each; without a key ${f(run.plain)}, ${per(run.commands.plain)} each (${ROUNDS * BLOCK} of each)`);
  await run.driver.close();
  await run.store.close();
}
await admin.config('SET', 'appendonly', before[1]);
admin.disconnect();
