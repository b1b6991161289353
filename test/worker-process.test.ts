import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startAbsorber } from './support/apps';
import { QUEUE_DRIVER, QueueDriver, QueuedEvent } from '@spillway/queue';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { EffectLog } from './support/effect-log';
import { Ledger } from './support/ledger';
import { AppProcess } from './support/processes';
import { freePort } from './support/redis-server';

describe.each(DRIVERS)('worker as a real process on %s', (driverName) => {
  const prefix = uniquePrefix('workerproc');
  // A short lease so a killed worker's delivery is taken over within seconds.
  const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: prefix, LEASE_MS: '1500', RETRY_BASE_MS: '100' };
  let absorber: NestFastifyApplication;
  const ledger = new Ledger();
  const effects = new EffectLog();
  const running: AppProcess[] = [];
  const worker = async (extra: Record<string, string> = {}) => {
    const proc = AppProcess.start('test/fixtures/test-worker.js', testEnv({ ...env, WORKER_HEALTH_PORT: String(await freePort()), ...extra }));
    running.push(proc);
    return proc;
  };
  const postSlow = async (sleepMs: number) =>
    (await request(absorber.getHttpServer()).post('/v1/events').send({ type: 'test.slow', data: { sleepMs } }).expect(202)).body.id as string;

  beforeAll(async () => {
    if (driverName === 'sqs') await ensureSqsQueues(env);
    await effects.setup();
    absorber = await startAbsorber(testConfig(env));
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    await absorber.close();
    await ledger.close();
    await effects.close();
  });

  it('leaves a job whose worker was SIGKILLed mid-job to be retried, not lost, and applied once', async () => {
    const first = await worker();
    const id = await postSlow(3000);
    await waitFor('the handler to start', async () => first.output.includes(`started ${id}`));
    await first.stop('SIGKILL');
    expect(first.output).not.toContain(`finished ${id}`);
    expect(await ledger.allProcessed([id])).toBe(false);

    const second = await worker();
    await waitFor('the job to be taken over and processed', () => ledger.allProcessed([id]), 30_000);
    expect(second.output).toContain(`finished ${id}`);
    const [row] = await ledger.rows([id]);
    // SQS counts the second receive as attempt 2; BullMQ puts a stalled job back without counting
    // an attempt (a kill is not a handler failure), so there the second worker's output above is
    // the proof that the delivery in flight was delivered again.
    if (driverName === 'sqs') expect(row.attempts).toBeGreaterThan(1);
    // The broker delivers once more (as after an acknowledgement lost with the process): no second effect.
    const driver: QueueDriver = absorber.get(QUEUE_DRIVER);
    const again: QueuedEvent = { id, type: 'test.slow', lane: row.lane as QueuedEvent['lane'], data: { sleepMs: 0 }, receivedAt: new Date().toISOString() };
    await driver.enqueue(again.lane, [again]);
    await waitFor('the redelivery consumed', async () => {
      const depth = await driver.depth(again.lane);
      return depth.waiting + depth.active === 0;
    });
    expect(await effects.counts([id])).toEqual(new Map([[id, 1]]));
    await second.stop('SIGKILL');
  });

  it('on SIGTERM stops fetching, finishes the in-flight job, then exits 0', async () => {
    const proc = await worker();
    const id = await postSlow(1500);
    await waitFor('the handler to start', async () => proc.output.includes(`started ${id}`));
    const later = await postSlow(0);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output).toContain(`finished ${id}`);
    expect(await ledger.allProcessed([id])).toBe(true);
    // Posted while draining: may have been taken before the stop or left for the next worker, never lost.
    if (!(await ledger.allProcessed([later]))) {
      const next = await worker();
      await waitFor('the next worker to take what was left', () => ledger.allProcessed([later]));
      await next.stop();
    }
  });

  it('forces the exit after SHUTDOWN_TIMEOUT_MS when a delivery outlasts it, leaving that delivery uncommitted for the broker to give again', async () => {
    const proc = await worker({ SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000' });
    const id = await postSlow(20_000);
    await waitFor('the handler to start', async () => proc.output.includes(`started ${id}`));
    const signalled = Date.now();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(1);
    // Well before the 20 s handler would have finished on its own.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(proc.output).toContain('worker: shutdown took over 1000 ms, exiting');
    expect(proc.output).not.toContain(`finished ${id}`);
    expect(await ledger.allProcessed([id])).toBe(false);
  });
});

describe('start-up checks', () => {
  it('refuses a bad configuration with one line per problem and exit code 78', async () => {
    const proc = AppProcess.absorber(testEnv({ QUEUE_DRIVER: 'kafka', PORT: 'eighty', WORKER_LANES: 'urgent' }));
    expect(await proc.exited).toBe(78);
    const lines = proc.output.trim().split('\n');
    expect(lines[0]).toBe('spillway: invalid configuration:');
    expect(lines.slice(1).map((l) => l.trim().split(':')[0]).sort()).toEqual(['PORT', 'QUEUE_DRIVER', 'WORKER_LANES']);
  });

  it('refuses to start a worker whose event type has two handlers, saying which', async () => {
    const proc = AppProcess.start(
      'test/fixtures/test-worker.js',
      testEnv({ QUEUE_PREFIX: uniquePrefix('conflict'), FIXTURE_CONFLICT: '1', WORKER_HEALTH_PORT: String(await freePort()) }),
    );
    expect(await proc.exited).toBe(1);
    expect(proc.output).toContain('event type "*" is handled by both StoreEventHandler and SecondCatchAll; keep one');
  });
});
