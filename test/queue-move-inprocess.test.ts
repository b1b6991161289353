import { Lane, QueueDriverName } from '@spillway/config';
import { moveLane, QueueDriver, QueuedEvent } from '@spillway/queue';
import { freshDriver } from './support/drivers';
import { waitFor } from './support/env';
import { drainAll, moveEvents } from './support/move-events';

// moveLane called in this process with real drivers (BullMQ on REDIS_URL, SQS on fauxqs), so a
// mutation run can see it; test/queue-move-cross.test.ts covers the CLI around it.
const DIRECTIONS: Array<[QueueDriverName, QueueDriverName]> = [
  ['bullmq', 'sqs'],
  ['sqs', 'bullmq'],
];
const LANE: Lane = 'normal';
// Short retry backoff and lease: a failed first attempt comes due, and a message an aborted
// long poll took comes back, within a few seconds.
const SOURCE_ENV = { RETRY_BASE_MS: '1000', LEASE_MS: '2000' };

async function enqueueInBatches(driver: QueueDriver, events: QueuedEvent[], size = 10): Promise<void> {
  for (let i = 0; i < events.length; i += size) await driver.enqueue(LANE, events.slice(i, i + size));
}

/** Consumes the lane with a handler that fails, until `done` holds, then stops consuming. */
async function failDeliveries(driver: QueueDriver, what: string, done: (failed: number) => Promise<boolean>): Promise<void> {
  let failed = 0;
  const consumer = await driver.consume(LANE, async () => {
    failed++;
    throw new Error('handler failed on purpose');
  }, { concurrency: 1 });
  try {
    await waitFor(what, () => done(failed), 15_000, 50);
  } finally {
    await consumer.close();
  }
}

const pendingAt = async (driver: QueueDriver) => {
  const d = await driver.depth(LANE);
  return d.waiting + d.delayed + d.active;
};

/** The real driver, but every enqueue refused as a broker that is down would. */
function refusing(target: QueueDriver): QueueDriver {
  return Object.assign(Object.create(target) as QueueDriver, {
    enqueue: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    },
  });
}

describe.each(DIRECTIONS)('moveLane from %s to %s, in-process', (from, to) => {
  const drivers: QueueDriver[] = [];
  const open = async (name: QueueDriverName, env: Record<string, string> = {}) => {
    const d = await freshDriver(name, env);
    drivers.push(d);
    return d;
  };
  afterAll(() => Promise.all(drivers.map((d) => d.close())));

  it('moves every delivery once, events unchanged, a retrying one when it comes due; nothing left at the source', async () => {
    const [source, target] = await Promise.all([open(from, SOURCE_ENV), open(to)]);
    const retried = moveEvents(LANE, 1, `${from}r`);
    const rest = moveEvents(LANE, 40, from);
    // One delivery waits for its retry (BullMQ: delayed; SQS: invisible, counted in flight).
    await source.enqueue(LANE, retried);
    await failDeliveries(source, 'one failed delivery', async (failed) => failed > 0);
    await enqueueInBatches(source, rest);
    const sent = [...retried, ...rest];

    const log: string[] = [];
    const moved = await moveLane(LANE, source, target, { concurrency: 4, timeoutS: 30, log: (l) => log.push(l) });

    expect(moved).toBe(sent.length);
    expect(log.at(-1)).toMatch(new RegExp(`^${LANE}: moved [1-9]\\d* deliveries \\(${sent.length} events\\); left 0 waiting, 0 delayed, 0 in flight$`));
    expect(await source.depth(LANE)).toEqual({ waiting: 0, delayed: 0, active: 0, deadLettered: 0 });
    const got = await drainAll(target, sent.length);
    expect(got.copies).toBe(sent.length);
    for (const e of sent) expect(got.events.get(e.id)).toEqual(e);
    for (const d of got.deliveries) expect(d.lane).toBe(LANE);
  });

  it('a target that refuses loses nothing and spends no attempt: the move times out, a rerun moves it all; dead letters stay at the source', async () => {
    // Few attempts, so a refusal counted as a failed attempt would dead-letter the delivery within
    // the move: 1 on BullMQ; 2 on SQS, whose redrive policy (maxReceiveCount = MAX_ATTEMPTS) also
    // counts the receive of a delivery the move hands back when it gives up.
    const maxAttempts = from === 'bullmq' ? '1' : '2';
    const [source, target] = await Promise.all([open(from, { ...SOURCE_ENV, MAX_ATTEMPTS: maxAttempts }), open(to)]);
    const dead = moveEvents(LANE, 2, `${from}dead`);
    await source.enqueue(LANE, dead);
    await failDeliveries(source, 'the dead letter at the source', async () => (await source.depth(LANE)).deadLettered === 1);
    const sent = moveEvents(LANE, 30, from);
    await enqueueInBatches(source, sent);
    const pendingBefore = await pendingAt(source);

    const log: string[] = [];
    await expect(moveLane(LANE, source, refusing(target), { concurrency: 2, timeoutS: 2, log: (l) => log.push(l) })).rejects.toThrow(
      new RegExp(`^${LANE}: timed out with ${pendingBefore} deliveries left; run again to continue$`),
    );
    expect(log.every((l) => l.startsWith(`${LANE}: moved 0 deliveries (0 events)`))).toBe(true);
    // Nothing lost, nothing dead-lettered: every refused delivery is still pending at the source
    // (SQS: those an aborted long poll took stay in flight until their 2 s lease ends).
    expect(await pendingAt(source)).toBe(pendingBefore);
    expect((await source.depth(LANE)).deadLettered).toBe(1);

    expect(await moveLane(LANE, source, target, { concurrency: 2, timeoutS: 30, log: () => undefined })).toBe(sent.length);
    expect(await source.depth(LANE)).toEqual({ waiting: 0, delayed: 0, active: 0, deadLettered: 1 });
    expect((await source.deadLetters(LANE, 10)).flatMap((d) => d.events)).toEqual(dead);
    const got = await drainAll(target, sent.length);
    expect(got.copies).toBe(sent.length);
    for (const e of sent) expect(got.events.get(e.id)).toEqual(e);
  });
});
