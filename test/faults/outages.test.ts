import { loadConfig } from '@spillway/config';
import { DRIVERS } from '../support/drivers';
import { waitFor } from '../support/env';
import { expectAcknowledgedAround, FaultLedger } from './support/fault-ledger';
import { Load } from './support/load';
import { report } from './support/report';
import { Stack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

const ledger = new FaultLedger();
beforeAll(() => ledger.setup());
afterAll(() => ledger.close());

const ready = async (url: string) => (await fetch(`${url}/health/ready`)).status;

describe('outages: refused clearly while down, recovered by itself, nothing lost', () => {
  let stack: Stack;
  afterEach(() => stack.stop());

  it.each(DRIVERS)('Postgres unreachable for a while (%s): workers back off without dead-lettering, then resume', async (driver) => {
    const pg = new URL(loadConfig().databaseUrl);
    const proxy = await TcpProxy.start({ host: pg.hostname, port: Number(pg.port || 5432) });
    pg.port = String(proxy.port);
    // Few, fast attempts: a worker that spent attempts on the outage would dead-letter within it.
    stack = await Stack.start({ MAX_ATTEMPTS: '2', RETRY_BASE_MS: '100' }, driver);
    await stack.addAbsorber();
    const worker = await stack.addWorker({ DATABASE_URL: pg.toString() });
    const load = new Load(() => stack.liveAbsorberUrls(), { concurrency: 8, maxEvents: 6000, maxMs: 90_000 }).start();
    await load.untilAcknowledged(300);
    const atFault = load.result.acknowledged.length;
    await proxy.cut();
    await waitFor('the worker to report the database down', async () => (await ready(worker.url)) === 503, 10_000);
    await new Promise((r) => setTimeout(r, 4000));
    await proxy.restore();
    await waitFor('the worker to be ready again', async () => (await ready(worker.url)) === 200, 20_000);
    await load.untilAcknowledged(atFault + 100);
    const result = await load.stop();
    expectAcknowledgedAround(atFault, result.acknowledged.length, 100);
    const audit = await ledger.settle(result.acknowledged, stack.leaseMs);
    const dead = await fetch(`${stack.absorbers[0].metricsUrl}/metrics`).then((r) => r.text());
    const deadLettered = [...dead.matchAll(/spillway_queue_depth\{lane="\w+",state="deadLettered"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    report(`Postgres unreachable for 4 s (worker side) [${driver}]`, driver === 'sqs' ? 'deliveries held in flight, receives paused (no receive count spent); resumed on their own' : 'deliveries held (jobs kept active) without spending attempts; resumed on their own', audit);
    expect(deadLettered).toBe(0);
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
    await proxy.cut();
  }, 120_000);

  it('Redis unavailable: 503 with Retry-After within 100 ms, readiness false, both recover', async () => {
    stack = await Stack.start();
    const absorber = await stack.addAbsorber();
    await stack.addWorker();
    const load = new Load(() => stack.liveAbsorberUrls(), { concurrency: 8, maxEvents: 100_000, maxMs: 30_000 }).start();
    await load.untilAcknowledged(200);
    const atFault = load.result.acknowledged.length;
    await stack.redis.kill();
    await waitFor('readiness to turn false', async () => (await ready(absorber.url)) === 503, 5000, 20);
    // One at a time, so the figure is the absorber's answer time, not a queue of our own making.
    const answers: Array<{ status: number; retryAfter: string | null; ms: number }> = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const res = await fetch(`${absorber.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"fault.count","data":{}}' });
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), ms: Math.round(performance.now() - started) });
    }
    expect(answers.every((a) => a.status === 503 && a.retryAfter === '1')).toBe(true);
    const times = answers.map((a) => a.ms).sort((a, b) => a - b);
    const [median, slowest] = [times[10], times[19]];
    // The median carries the 100 ms promise; the slowest only the contract's 1 s bound, since a
    // shared 2-CPU machine can stall any single request.
    expect(median).toBeLessThan(100);
    expect(slowest).toBeLessThan(1000);
    await stack.redis.restart();
    await waitFor('readiness to recover', async () => (await ready(absorber.url)) === 200, 15_000);
    const before = load.result.acknowledged.length;
    await waitFor('ingest to resume', async () => load.result.acknowledged.length > before + 100, 15_000);
    const result = await load.stop();
    expectAcknowledgedAround(atFault, result.acknowledged.length, 100);
    const audit = await ledger.settle(result.acknowledged, stack.leaseMs);
    report('Redis unreachable', `503 + Retry-After (median ${median} ms, slowest ${slowest} ms of 20), readiness false, recovered on restart`, audit);
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
  }, 120_000);

  it('SIGTERM under load, as Kubernetes does it: 0 failed requests, in-flight work finished', async () => {
    // A generous broker timeout: this case counts failed requests, and a 503 for an fsync that
    // stalled past 1 s on a loaded machine would say nothing about the shutdown.
    stack = await Stack.start({ SHUTDOWN_DELAY_MS: '1500', ENQUEUE_TIMEOUT_MS: '5000' });
    const leaving = await stack.addAbsorber();
    await stack.addAbsorber();
    const oldWorker = await stack.addWorker({ FAULT_HANDLER_DELAY_MS: '100' });
    await stack.addWorker();
    // The load balancer: sends only to absorbers whose readiness said 200 at the last poll.
    const routable = new Set(stack.absorbers.map((a) => a.url));
    const poll = setInterval(() => {
      for (const a of stack.absorbers) ready(a.url).then((s) => (s === 200 ? routable.add(a.url) : routable.delete(a.url)), () => routable.delete(a.url));
    }, 100);
    try {
      const load = new Load(() => [...routable], { concurrency: 16, maxEvents: 8000, maxMs: 90_000 }).start();
      await load.untilAcknowledged(500);
      const atFault = load.result.acknowledged.length;
      leaving.proc.child.kill('SIGTERM');
      oldWorker.proc.child.kill('SIGTERM');
      expect(await leaving.proc.exited).toBe(0);
      expect(await oldWorker.proc.exited).toBe(0);
      await load.untilAcknowledged(atFault + 200);
      const result = await load.stop();
      expectAcknowledgedAround(atFault, result.acknowledged.length, 200);
      const audit = await ledger.settle(result.acknowledged, stack.leaseMs);
      report('SIGTERM to an absorber and a worker under load', 'readiness off, 1.5 s pause, drain; a readiness-polling balancer in front', audit);
      expect({ refused: result.refused, messages: result.messages }).toEqual({ refused: {}, messages: {} });
      expect(audit).toMatchObject({ lost: 0, doubled: 0 });
    } finally {
      clearInterval(poll);
    }
  }, 120_000);
});
