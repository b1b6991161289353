import { DRIVERS } from '../support/drivers';
import { FaultLedger } from './support/fault-ledger';
import { Load } from './support/load';
import { report } from './support/report';
import { Stack } from './support/stack';

const ledger = new FaultLedger();
beforeAll(() => ledger.setup());
afterAll(() => ledger.close());

describe('crashes under load: every acknowledged event applied exactly once', () => {
  let stack: Stack;
  afterEach(() => stack.stop());

  it('kill -9 of the absorber mid-load', async () => {
    stack = await Stack.start();
    const first = await stack.addAbsorber();
    await stack.addWorker();
    const load = new Load(() => stack.liveAbsorberUrls(), { concurrency: 16, maxEvents: 4000, maxMs: 20_000 }).start();
    await load.untilAcknowledged(500);
    await first.proc.stop('SIGKILL');
    await stack.addAbsorber();
    const result = await load.finished();
    expect(result.acknowledged.length).toBeGreaterThan(500);
    const audit = await ledger.settle(result.acknowledged);
    report('absorber killed (SIGKILL) mid-load', 'restarted a new absorber; in-flight requests failed unacknowledged', audit);
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
  });

  it.each(DRIVERS)('kill -9 of a worker mid-batch (%s: the lease or visibility expires, another worker takes over)', async (driver) => {
    stack = await Stack.start({}, driver);
    await stack.addAbsorber();
    // Slow handler: deliveries are in flight when the kill lands.
    const doomed = await stack.addWorker({ FAULT_HANDLER_DELAY_MS: '150' });
    const load = new Load(() => stack.liveAbsorberUrls(), { concurrency: 16, maxEvents: 3000, maxMs: 15_000 }).start();
    await load.untilAcknowledged(800);
    await doomed.proc.stop('SIGKILL');
    await stack.addWorker();
    const result = await load.finished();
    const audit = await ledger.settle(result.acknowledged);
    report(`worker killed (SIGKILL) mid-batch [${driver}]`, 'new worker took the expired leases (visibility) over', audit);
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
  });

  it('kill -9 of Redis, restarted from its AOF', async () => {
    stack = await Stack.start();
    await stack.addAbsorber();
    await stack.addWorker({ FAULT_HANDLER_DELAY_MS: '20' });
    const load = new Load(() => stack.liveAbsorberUrls(), { concurrency: 16, maxEvents: 4000, maxMs: 20_000 }).start();
    await load.untilAcknowledged(800);
    await stack.redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await stack.redis.restart();
    const result = await load.finished();
    expect(result.refused['503']).toBeGreaterThan(0); // the outage was seen, and refused, not swallowed
    const audit = await ledger.settle(result.acknowledged);
    report('Redis killed (SIGKILL) mid-load', 'restarted from AOF (appendfsync always) after 1 s; absorber answered 503 meanwhile', audit);
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
  });
});
