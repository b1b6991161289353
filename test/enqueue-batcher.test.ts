import { EnqueueBatcher } from '../apps/absorber/src/ingest/enqueue-batcher';
import { QueueDriver, QueuedEvent } from '@spillway/queue';
import { freshDriver } from './support/drivers';
import { testConfig, waitFor } from './support/env';
import { drainAll } from './support/move-events';

/**
 * The batcher in-process against real Redis: one write per lane per turn, exactly the events
 * given (no more), and the in-flight bound counted both ways. Written for the mutation run
 * (docs/mutation/): the HTTP suites reach it only through whole requests, and the in-flight bound
 * only in the slow-broker fault suite, which runs the absorber from dist/ where no mutant lives.
 */
describe('EnqueueBatcher on a real broker', () => {
  let driver: QueueDriver;
  beforeAll(async () => {
    driver = await freshDriver('bullmq');
  });
  afterAll(() => driver?.close());

  const event = (lane: 'normal' | 'low', i: number): QueuedEvent => ({ id: `b-${lane}-${i}-${Date.now()}`, type: 't', lane, data: { i }, receivedAt: new Date().toISOString() });

  it('writes one job per lane per turn with exactly the events of the turn, and counts them in flight until the broker answers', async () => {
    const batcher = new EnqueueBatcher(driver, testConfig({ ENQUEUE_MAX_IN_FLIGHT: '10' }));
    const normal = [0, 1, 2].map((i) => event('normal', i));
    const low = [0, 1].map((i) => event('low', i));
    const answers = [...normal.map((e) => batcher.enqueueOne(e)), batcher.enqueue('low', low)];
    expect(batcher.eventsInFlight).toBe(5);
    batcher.admit(5); // 5 + 5 = the bound: still admitted
    expect(() => batcher.admit(6)).toThrow('the broker is slow: 5 events already await its answer (limit ENQUEUE_MAX_IN_FLIGHT=10)');
    expect(await Promise.all(answers)).toEqual([undefined, undefined, undefined, undefined]);
    await waitFor('the in-flight count back to 0', async () => batcher.eventsInFlight === 0);
    expect([(await driver.depth('normal')).waiting, (await driver.depth('low')).waiting]).toEqual([1, 1]);
    const got = await drainAll(driver, 5);
    expect(got.copies).toBe(5);
    expect(got.deliveries.map((d) => d.events.length).sort()).toEqual([2, 3]);
    for (const e of [...normal, ...low]) expect(got.events.get(e.id)).toEqual(e);
  });

  it('BullMQ: while a write to a lane is out, later enqueues wait and go out together as one job', async () => {
    const first = [event('normal', 10)];
    const waited = [[event('normal', 11)], [event('normal', 12), event('normal', 13)]];
    // Three enqueues in one go: the first is written at once, the other two wait for its answer.
    await Promise.all([driver.enqueue('normal', first), ...waited.map((events) => driver.enqueue('normal', events))]);
    const got = await drainAll(driver, 4);
    expect(got.copies).toBe(4);
    // Two jobs (consumed two at a time, so in either order): the first write's, and what waited, in order.
    const jobs = got.deliveries.map((d) => d.events.map((e) => e.id)).sort((x, y) => x.length - y.length);
    expect(jobs).toEqual([first.map((e) => e.id), waited.flat().map((e) => e.id)]);
  });

  // The real driver with its write replaced: the broker's refusal and its silence are what a live
  // Redis cannot be made to give on cue for one write.
  const withWrite = (enqueue: QueueDriver['enqueue']): QueueDriver => Object.create(driver, { enqueue: { value: enqueue } });

  it('a write the broker refuses: the answer is its error, and the events leave the in-flight count', async () => {
    const batcher = new EnqueueBatcher(withWrite(() => Promise.reject(new Error('broker refused'))), testConfig({ ENQUEUE_MAX_IN_FLIGHT: '10' }));
    const answer = await batcher.enqueue('normal', [event('normal', 0), event('normal', 1)]);
    expect((answer as Error).message).toBe('broker refused');
    await waitFor('the in-flight count back to 0', async () => batcher.eventsInFlight === 0);
  });

  it('a write the broker never answers: an unknown outcome after ENQUEUE_TIMEOUT_MS, never "held"', async () => {
    const batcher = new EnqueueBatcher(withWrite(() => new Promise(() => undefined)), testConfig({ ENQUEUE_TIMEOUT_MS: '50' }));
    const answer = await batcher.enqueueOne(event('low', 0));
    expect(answer).toBeInstanceOf(Error);
    expect((answer as Error).message).toContain('the broker did not answer within 50 ms');
  });
});
