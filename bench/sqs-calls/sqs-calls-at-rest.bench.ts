import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Lane, LANES } from '@spillway/config';
import { QUEUE_DRIVER } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { startAbsorber } from '../../test/support/apps';
import { ensureSqsQueues } from '../../test/support/drivers';
import { sleep, testConfig, uniquePrefix } from '../../test/support/env';
import { freePort } from '../../test/support/redis-server';

/**
 * SQS API calls a minute of one absorber replica (issue 35): at rest, then busy at a fixed small
 * rate with the default high-water marks, then at that rate with marks low enough that every lane
 * is near or over its mark (the shedder at its bound). No worker, probes or scrapes: the absorber's
 * own calls. Run: `npm run bench:sqs-calls -- at-rest` (PHASE_SECONDS=, RATE= to vary).
 */
const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 60);
const RATE = Number(process.env.RATE ?? 20);

function post(port: number, agent: Agent, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/events', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Phase {
  name: string;
  calls: Record<string, number>;
  perMinute: number;
  posted: number;
  accepted: number;
}

async function phase(name: string, env: Record<string, string>, rate: number): Promise<Phase> {
  const config = testConfig({ QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('atrest'), LOG_LEVEL: 'error', ...env });
  await ensureSqsQueues({ QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: config.queuePrefix });
  const app: NestFastifyApplication = await startAbsorber(config);
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  const driver = app.get<SqsDriver>(QUEUE_DRIVER);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    await sleep(2000); // boot reads and queue URL lookups out of the window
    const before = { ...driver.apiCalls.calls };
    let posted = 0;
    let accepted = 0;
    const started = Date.now();
    const end = started + PHASE_SECONDS * 1000;
    const inFlight = new Set<Promise<void>>();
    while (Date.now() < end) {
      if (rate > 0) {
        const lane: Lane = LANES[posted % LANES.length];
        const p = post(port, agent, JSON.stringify({ type: 'bench.rest', data: { i: posted }, priority: lane, ...(lane === 'critical' ? { key: `k${posted % 20}` } : {}) }))
          .then((s) => void (s === 202 && accepted++))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        posted++;
      }
      // The next send at its place on the fixed schedule (open loop), or the window's end at rest.
      const next = rate > 0 ? started + (posted * 1000) / rate : end;
      await sleep(Math.max(0, Math.min(next, end) - Date.now()));
    }
    await Promise.all(inFlight);
    const calls = Object.fromEntries(
      Object.entries(driver.apiCalls.calls)
        .map(([k, v]) => [k.replace(/Command$/, ''), v - (before[k] ?? 0)] as const)
        .filter(([, v]) => v > 0),
    );
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    return { name, calls, perMinute: (total * 60) / PHASE_SECONDS, posted, accepted };
  } finally {
    agent.destroy();
    await app.close();
  }
}

it(`counts one absorber's SQS calls a minute at rest and at ${RATE} events/s`, async () => {
  const phases = [
    await phase('at rest', {}, 0),
    await phase(`busy, ${RATE} events/s, default marks`, {}, RATE),
    await phase(`busy, ${RATE} events/s, marks of 50 (every lane near or over)`, { LANE_HIGH_WATER: 'critical=50,normal=50,low=50' }, RATE),
  ];
  const attrs = (p: Phase) => p.calls.GetQueueAttributes ?? 0;
  const report = [
    `# SQS calls a minute of one absorber replica (fauxqs)`,
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench:sqs-calls -- at-rest\` (PHASE_SECONDS=${PHASE_SECONDS}, RATE=${RATE}).`,
    'One absorber in-process, no worker, no probes or scrapes (docs/sqs-driver.md adds those per replica).',
    'GetQueueAttributes are the shedder\'s reads (idle: each lane once a minute; near a mark: at most every 5 s).',
    '',
    '| phase | posted | accepted | GetQueueAttributes / min | all SQS calls / min | calls |',
    '|---|---:|---:|---:|---:|---|',
    ...phases.map((p) => `| ${p.name} | ${p.posted} | ${p.accepted} | ${((attrs(p) * 60) / PHASE_SECONDS).toFixed(1)} | ${p.perMinute.toFixed(1)} | ${Object.entries(p.calls).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} |`),
    '',
  ].join('\n');
  writeFileSync(join(__dirname, 'reports', 'sqs-calls-at-rest.md'), report);
  process.stdout.write(report);
  expect(phases).toHaveLength(3);
});
