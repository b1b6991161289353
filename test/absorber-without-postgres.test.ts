import { loadConfig } from '@spillway/config';
import { DRIVERS } from './support/drivers';
import { waitFor } from './support/env';
import { EffectLog } from './support/effect-log';
import { Ledger } from './support/ledger';
import { AppProcess } from './support/processes';
import { freePort } from './support/redis-server';
import { Stack } from './faults/support/stack';
import { TcpProxy } from './faults/support/tcp-proxy';

const ledger = new Ledger();
const effects = new EffectLog();
beforeAll(() => effects.setup());
afterAll(async () => {
  await ledger.close();
  await effects.close();
});

const readiness = async (url: string) => {
  const res = await fetch(`${url}/health/ready`);
  return { status: res.status, body: (await res.json()) as { info?: object; error?: object } };
};

/**
 * Item 3 of issue 11: the absorber holds events in the broker only. Started while Postgres cannot
 * be reached (DATABASE_URL through a TCP proxy that refuses every connection), it still becomes
 * ready and answers 202; a worker on the same database applies every event once Postgres is back. No Idempotency-Key: with SQS that store is Postgres.
 */
describe.each(DRIVERS)('absorber without Postgres (%s)', (driver) => {
  let stack: Stack;
  let proxy: TcpProxy;
  let worker: AppProcess | undefined;
  afterEach(async () => {
    await worker?.stop('SIGKILL');
    await stack?.stop();
    await proxy?.cut();
  });

  it('starts, is ready and answers 202 while Postgres is down; the worker applies the events when it returns', async () => {
    const pg = new URL(loadConfig().databaseUrl);
    proxy = await TcpProxy.start({ host: pg.hostname, port: Number(pg.port || 5432) });
    await proxy.cut(); // from here on, connections to the proxy's port are refused
    pg.port = String(proxy.port);
    const downUrl = pg.toString();

    stack = await Stack.start({ DATABASE_URL: downUrl }, driver);
    // Stack waits (bounded, 30 s) for /health/ready to answer 200; the old absorber never did.
    const absorber = await stack.addAbsorber();
    const ready = await readiness(absorber.url);
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.info ?? {}).sort()).toEqual(['broker', 'shutdown']);

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${absorber.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // test.slow (sleepMs 0): the fixture worker appends one effect row per application.
        body: JSON.stringify({ type: 'test.slow', data: { i, sleepMs: 0 } }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }

    // A worker on the same unreachable database waits for it (nothing can be applied meanwhile).
    const port = String(await freePort());
    worker = AppProcess.start('test/fixtures/test-worker.js', stack.env({ WORKER_HEALTH_PORT: port }));
    expect(await ledger.counts(ids)).toEqual(new Map());

    await proxy.restore();
    await waitFor('every acknowledged event to be applied', () => ledger.allProcessed(ids), 60_000, 250);
    // Counted where no key folds a repeat: each event applied exactly once.
    expect(await effects.counts(ids)).toEqual(new Map(ids.map((id) => [id, 1])));
    await waitFor('the worker to be ready', async () => (await readiness(`http://127.0.0.1:${port}`)).status === 200, 30_000);
  });
});
