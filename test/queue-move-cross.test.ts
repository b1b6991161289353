import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LANES, QueueDriverName } from '@spillway/config';
import { QueueDriver } from '@spillway/queue';
import { freshDriver } from './support/drivers';
import { testConfig, testEnv, uniquePrefix } from './support/env';
import { drainAll, moveEvents } from './support/move-events';

const run = promisify(execFile);

const DIRECTIONS: Array<[QueueDriverName, QueueDriverName]> = [
  ['bullmq', 'sqs'],
  ['sqs', 'bullmq'],
];

describe.each(DIRECTIONS)('npm run queue:move from %s to %s', (from, to) => {
  const [fromPrefix, toPrefix] = [uniquePrefix(`xfrom${from}`), uniquePrefix(`xto${to}`)];
  let source: QueueDriver;
  let target: QueueDriver;
  beforeAll(async () => {
    [source, target] = await Promise.all([freshDriver(from, { QUEUE_PREFIX: fromPrefix }), freshDriver(to, { QUEUE_PREFIX: toPrefix })]);
  });
  afterAll(() => Promise.all([source?.close(), target?.close()]));

  it('moves every lane across brokers: each event once, payload, key and trace intact, nothing left at the source', async () => {
    const sent = LANES.flatMap((lane) => moveEvents(lane, 120, from));
    for (const lane of LANES) {
      const mine = sent.filter((e) => e.lane === lane);
      for (let i = 0; i < mine.length; i += 40) await source.enqueue(lane, mine.slice(i, i + 40));
    }
    const { stdout } = await run(
      process.execPath,
      ['dist/apps/cli/src/queue-move.js', '--from', from, '--to', to, '--from-prefix', fromPrefix, '--to-prefix', toPrefix, '--lane', 'all', '--timeout', '60'],
      { env: testEnv() },
    );
    expect(stdout).toContain(`queue:move done: ${sent.length} events moved from ${from} to ${to}`);
    for (const lane of LANES) expect([lane, await source.depth(lane)]).toEqual([lane, expect.objectContaining({ waiting: 0, delayed: 0, active: 0, deadLettered: 0 })]);

    const got = await drainAll(target, sent.length);
    expect(got.copies).toBe(sent.length); // no event twice
    expect(got.events.size).toBe(sent.length);
    for (const e of sent) expect(got.events.get(e.id)).toEqual(e);
    // Each on its own lane, and the move spent none of the target's attempts: first delivery there.
    for (const d of got.deliveries) for (const e of d.events) expect(e.lane).toBe(d.lane);
    expect(new Set(got.deliveries.map((d) => `${d.attempt}/${d.maxAttempts}`))).toEqual(new Set([`1/${testConfig().maxAttempts}`]));
  });
});
